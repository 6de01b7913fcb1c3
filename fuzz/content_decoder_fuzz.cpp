// bytes -> ContentDecoder with the size cap, fed whole and in small pieces:
// output never past max_output, the sink gets exactly decoded_bytes() in pieces
// of at most decoder_chunk_bytes, memory within each coding's bound, and the
// two feedings agree. The bytes also go through parse_content_encoding.
//
// Byte 0: the codings, in the order applied (as Content-Encoding lists them):
//   count = byte0 >> 6 (0: none), coding i = (byte0 >> 2i) & 3 (gzip, deflate, br, zstd)
// Byte 1: max_output: 0..15 bytes, else (byte1 - 15) * 4 KiB (up to 940 KiB)
// Byte 2: the piece size of the second feeding, 1..256
// The rest: the body as received.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "asyncfetch/wire/content_coding.hpp"
#include "asyncfetch/wire/content_decoder.hpp"
#include "fuzz_check.hpp"

using namespace asyncfetch;

namespace {

struct CheckedSink final : DecodedSink {
  std::string bytes;
  void write(std::span<const std::byte> d) override {
    FUZZ_CHECK(!d.empty());
    FUZZ_CHECK(d.size() <= decoder_chunk_bytes);
    bytes.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
};

struct Outcome {
  DecodeStatus status;
  std::string bytes;
};

// What one stage may hold: zlib's state and 32 KiB window; Brotli's window of
// at most 16 MiB and its tables; zstd's window of at most 8 MiB, a block and
// its context. Plus the stage's buffer.
std::size_t memory_bound(ContentCoding c) {
  switch (c) {
    case ContentCoding::gzip:
    case ContentCoding::deflate:
      return 64 * 1024 + decoder_chunk_bytes;
    case ContentCoding::br:
      return (16u << 20) + (1u << 20) + decoder_chunk_bytes;
    case ContentCoding::zstd:
      return (8u << 20) + (1u << 20) + decoder_chunk_bytes;
  }
  return 0;
}

Outcome run(const std::vector<ContentCoding>& codings, std::uint64_t max_output, std::string_view body,
            std::size_t piece) {
  ContentDecoder d(codings, max_output);
  CheckedSink sink;
  DecodeStatus fed = DecodeStatus::ok;
  std::size_t given = 0;
  for (std::size_t at = 0; at < body.size() && fed == DecodeStatus::ok; at += piece) {
    const std::string_view p = body.substr(at, piece);
    fed = d.feed(p, sink);
    given += p.size();
    FUZZ_CHECK(fed == DecodeStatus::ok || fed == DecodeStatus::too_large || fed == DecodeStatus::corrupt);
    FUZZ_CHECK(d.decoded_bytes() == sink.bytes.size());
  }
  const DecodeStatus status = d.finish();
  FUZZ_CHECK(status == DecodeStatus::done || status == DecodeStatus::truncated ||
             status == DecodeStatus::too_large || status == DecodeStatus::corrupt);
  FUZZ_CHECK(fed == DecodeStatus::ok || status == fed);
  FUZZ_CHECK(d.wire_bytes() == given);
  FUZZ_CHECK(d.decoded_bytes() == sink.bytes.size());
  FUZZ_CHECK(d.decoded_bytes() <= max_output);
  if (status == DecodeStatus::too_large) FUZZ_CHECK(d.decoded_bytes() == max_output);
  if (codings.empty()) FUZZ_CHECK(status != DecodeStatus::corrupt && status != DecodeStatus::truncated);
  std::size_t bound = 0;
  for (ContentCoding c : codings) bound += memory_bound(c);
  FUZZ_CHECK(d.peak_memory_bytes() <= bound);
  return {status, std::move(sink.bytes)};
}

bool is_prefix(std::string_view a, std::string_view b) { return b.substr(0, a.size()) == a; }

void check_content_encoding(std::string_view value) {
  const auto codings = parse_content_encoding(value);
  if (!codings) return;
  FUZZ_CHECK(codings->size() <= max_content_codings);
  std::string joined;
  for (ContentCoding c : *codings) joined += (joined.empty() ? "" : ", ") + std::string(to_string(c));
  FUZZ_CHECK(parse_content_encoding(joined) == codings);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_content_encoding(input);
  if (size < 3) return 0;

  std::vector<ContentCoding> codings;
  for (unsigned i = 0; i < (data[0] >> 6u); ++i) codings.push_back(static_cast<ContentCoding>((data[0] >> (2 * i)) & 3));
  const std::uint64_t max_output = data[1] < 16 ? data[1] : (data[1] - 15u) * 4096u;
  const std::size_t piece = data[2] + 1u;
  const std::string_view body = input.substr(3);

  const Outcome whole = run(codings, max_output, body, std::max<std::size_t>(body.size(), 1));
  const Outcome pieces = run(codings, max_output, body, piece);
  // Both feedings see the same bytes. A decoder may find bad data before it
  // has written out all that precedes it (Brotli keeps a window's worth), so
  // where one ends corrupt, the other may have written more and ended corrupt
  // or too_large; otherwise they agree byte for byte.
  const bool failed_whole = whole.status == DecodeStatus::corrupt || whole.status == DecodeStatus::too_large;
  const bool failed_pieces = pieces.status == DecodeStatus::corrupt || pieces.status == DecodeStatus::too_large;
  if (whole.status == DecodeStatus::corrupt || pieces.status == DecodeStatus::corrupt) {
    FUZZ_CHECK(failed_whole && failed_pieces);
    FUZZ_CHECK(is_prefix(whole.bytes, pieces.bytes) || is_prefix(pieces.bytes, whole.bytes));
  } else {
    FUZZ_CHECK(whole.status == pieces.status);
    FUZZ_CHECK(whole.bytes == pieces.bytes);
  }
  return 0;
}
