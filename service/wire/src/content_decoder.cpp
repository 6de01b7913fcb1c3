// The decoder's pipeline: one stage per coding, in decoding order (the last
// coding applied is undone first). Each stage decodes into its own fixed
// buffer and pushes what it produced into the next stage at once, so no stage
// ever holds more than one buffer of output.
#include "asyncfetch/wire/content_decoder.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

#include "codec.hpp"

namespace asyncfetch {
namespace {

// See the header: what an intermediate stage may produce, for a final output of
// at most max_output bytes.
std::uint64_t intermediate_limit(std::uint64_t max_output) noexcept {
  constexpr std::uint64_t slack = 64 * 1024;
  const std::uint64_t top = static_cast<std::uint64_t>(-1);
  return max_output > (top - slack) / 2 ? top : 2 * max_output + slack;
}

std::unique_ptr<codec::Codec> make_codec(ContentCoding coding) {
  switch (coding) {
    case ContentCoding::gzip:
    case ContentCoding::deflate:
      return codec::make_zlib_codec(coding);
    case ContentCoding::br:
      return codec::make_brotli_codec();
    case ContentCoding::zstd:
      return codec::make_zstd_codec();
  }
  throw std::invalid_argument("unknown content coding");
}

struct Stage {
  std::unique_ptr<codec::Codec> codec;
  std::unique_ptr<std::byte[]> buffer;
  std::uint64_t limit;  // of its output
  std::uint64_t produced = 0;
};

}  // namespace

struct ContentDecoder::Pipeline {
  std::vector<Stage> stages;
  std::uint64_t max_output;
  std::uint64_t wire = 0;
  std::uint64_t decoded = 0;
  DecodeStatus status = DecodeStatus::ok;
  bool finished = false;

  // Hands bytes to the sink, never past max_output, in pieces of at most
  // decoder_chunk_bytes (a stage's output is never larger; identity's may be).
  DecodeStatus emit(std::span<const std::byte> bytes, DecodedSink& sink) {
    const auto allowed = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), max_output - decoded));
    for (std::size_t at = 0; at < allowed; at += decoder_chunk_bytes) {
      const std::size_t n = std::min(decoder_chunk_bytes, allowed - at);
      sink.write(bytes.subspan(at, n));
      decoded += n;
    }
    return allowed < bytes.size() ? DecodeStatus::too_large : DecodeStatus::ok;
  }

  // Decodes `in` through stage i and every stage after it.
  DecodeStatus push(std::size_t i, std::span<const std::byte> in, DecodedSink& sink) {
    if (i == stages.size()) return emit(in, sink);
    Stage& s = stages[i];
    while (true) {
      // One byte past the stage's limit is enough to tell that it is passed,
      // so a bomb is never decoded further than that.
      const std::uint64_t room = s.limit - s.produced;
      const std::size_t window = room < decoder_chunk_bytes ? static_cast<std::size_t>(room) + 1 : decoder_chunk_bytes;
      std::span<std::byte> out(s.buffer.get(), window);
      const std::size_t in_before = in.size();
      // What was decoded before bad data is still passed on.
      const bool valid = s.codec->decode(in, out);
      const std::size_t produced = window - out.size();
      const std::size_t allowed = static_cast<std::size_t>(std::min<std::uint64_t>(produced, room));
      s.produced += allowed;
      if (allowed > 0) {
        const DecodeStatus next = push(i + 1, std::span<const std::byte>(s.buffer.get(), allowed), sink);
        if (next != DecodeStatus::ok) return next;
      }
      if (produced > allowed) return DecodeStatus::too_large;
      if (!valid) return DecodeStatus::corrupt;
      if (in.empty() && !out.empty()) return DecodeStatus::ok;  // all consumed, nothing left inside
      // A codec that neither reads nor writes with input and room left would
      // loop forever: no valid stream does that.
      if (produced == 0 && in.size() == in_before) return DecodeStatus::corrupt;
    }
  }
};

std::string_view to_string(DecodeStatus status) noexcept {
  switch (status) {
    case DecodeStatus::ok:
      return "ok";
    case DecodeStatus::done:
      return "done";
    case DecodeStatus::too_large:
      return "too_large";
    case DecodeStatus::corrupt:
      return "corrupt";
    case DecodeStatus::truncated:
      return "truncated";
  }
  return "unknown";
}

void StringSink::write(std::span<const std::byte> decoded) {
  out_->append(reinterpret_cast<const char*>(decoded.data()), decoded.size());
}

ContentDecoder::ContentDecoder(std::span<const ContentCoding> codings, std::uint64_t max_output)
    : pipeline_(std::make_unique<Pipeline>()) {
  if (codings.size() > max_content_codings) throw std::invalid_argument("too many content codings");
  pipeline_->max_output = max_output;
  pipeline_->stages.reserve(codings.size());
  for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
    const bool last = it + 1 == codings.rend();
    pipeline_->stages.push_back(Stage{make_codec(*it), std::make_unique<std::byte[]>(decoder_chunk_bytes),
                                      last ? max_output : intermediate_limit(max_output)});
  }
}

ContentDecoder::~ContentDecoder() = default;
ContentDecoder::ContentDecoder(ContentDecoder&&) noexcept = default;
ContentDecoder& ContentDecoder::operator=(ContentDecoder&&) noexcept = default;

DecodeStatus ContentDecoder::feed(std::span<const std::byte> wire, DecodedSink& sink) {
  Pipeline& p = *pipeline_;
  if (p.finished || p.status != DecodeStatus::ok) return p.status;
  p.wire += wire.size();
  if (!wire.empty()) p.status = p.push(0, wire, sink);
  return p.status;
}

DecodeStatus ContentDecoder::finish() {
  Pipeline& p = *pipeline_;
  if (p.finished || p.status != DecodeStatus::ok) return p.status;
  p.finished = true;
  // Every stage has written out all it could (push returns only then), so the
  // body is whole when each coding's stream is.
  const bool whole = std::all_of(p.stages.begin(), p.stages.end(),
                                 [](const Stage& s) { return s.codec->at_end_of_stream(); });
  p.status = whole ? DecodeStatus::done : DecodeStatus::truncated;
  return p.status;
}

std::uint64_t ContentDecoder::wire_bytes() const noexcept { return pipeline_->wire; }
std::uint64_t ContentDecoder::decoded_bytes() const noexcept { return pipeline_->decoded; }

std::size_t ContentDecoder::peak_memory_bytes() const noexcept {
  std::size_t total = 0;
  for (const Stage& s : pipeline_->stages) total += s.codec->peak_memory_bytes() + decoder_chunk_bytes;
  return total;
}

}  // namespace asyncfetch
