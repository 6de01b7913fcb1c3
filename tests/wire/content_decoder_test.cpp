// ContentDecoder against the libraries' own encoders: every coding and stacks
// of them, fed whole, a byte at a time and in uneven pieces; truncated and
// corrupt streams; bombs of each coding stopped at max_output with the
// decoder's memory measured; zstd windows over the cap; empty bodies.
#include "asyncfetch/wire/content_decoder.hpp"

#include <malloc.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_encoders.hpp"

using namespace asyncfetch;
using test::EncoderOptions;
using test::encode;
using test::encode_zeros;
using test::sample_body;
using test::Wrapper;

namespace {

constexpr std::uint64_t unlimited = static_cast<std::uint64_t>(-1);
const ContentCoding all_codings[] = {ContentCoding::gzip, ContentCoding::deflate, ContentCoding::br,
                                     ContentCoding::zstd};

// The heap as glibc sees it. Under the sanitizers malloc is theirs, and
// glibc's counts do not move.
std::size_t heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool heap_measurable = false;
#else
constexpr bool heap_measurable = true;
#endif

// Compares without printing megabytes of binary when they differ.
bool same_bytes(std::string_view got, std::string_view want) {
  if (got == want) return true;
  const auto diff = std::mismatch(got.begin(), got.end(), want.begin(), want.end());
  UNSCOPED_INFO("got " << got.size() << " bytes, want " << want.size() << ", first difference at "
                       << (diff.first - got.begin()));
  return false;
}

// Keeps what it is given, and the largest piece.
struct CollectSink final : DecodedSink {
  std::string bytes;
  std::size_t writes = 0;
  std::size_t largest = 0;
  void write(std::span<const std::byte> d) override {
    bytes.append(reinterpret_cast<const char*>(d.data()), d.size());
    ++writes;
    largest = std::max(largest, d.size());
  }
};

struct Decoded {
  DecodeStatus feed_status = DecodeStatus::ok;  // the last feed()'s
  DecodeStatus status = DecodeStatus::ok;       // finish()'s
  std::string bytes;
  std::uint64_t wire = 0;
  std::uint64_t decoded = 0;
  std::size_t largest_write = 0;
};

// Feeds `wire` in pieces of the sizes `piece` gives, stops at the first status
// other than ok, then finishes.
template <class PieceSize>
Decoded decode_in_pieces(const std::vector<ContentCoding>& codings, std::string_view wire, std::uint64_t max_output,
                         PieceSize piece) {
  ContentDecoder d(codings, max_output);
  CollectSink sink;
  Decoded r;
  for (std::size_t at = 0; at < wire.size();) {
    const std::size_t n = std::min(wire.size() - at, std::max<std::size_t>(1, piece()));
    r.feed_status = d.feed(wire.substr(at, n), sink);
    at += n;
    if (r.feed_status != DecodeStatus::ok) break;
  }
  r.status = d.finish();
  r.bytes = std::move(sink.bytes);
  r.wire = d.wire_bytes();
  r.decoded = d.decoded_bytes();
  r.largest_write = sink.largest;
  return r;
}

Decoded decode_whole(const std::vector<ContentCoding>& codings, std::string_view wire,
                     std::uint64_t max_output = unlimited) {
  return decode_in_pieces(codings, wire, max_output, [&] { return wire.size(); });
}

Decoded decode_bytewise(const std::vector<ContentCoding>& codings, std::string_view wire,
                        std::uint64_t max_output = unlimited) {
  return decode_in_pieces(codings, wire, max_output, [] { return std::size_t{1}; });
}

Decoded decode_uneven(const std::vector<ContentCoding>& codings, std::string_view wire,
                      std::uint64_t max_output = unlimited) {
  std::mt19937 rng(7);
  return decode_in_pieces(codings, wire, max_output, [&] { return std::size_t{1} + rng() % 40000; });
}

// The codings applied in order, as a server stacks them.
std::string encode_stack(const std::vector<ContentCoding>& codings, std::string data) {
  for (ContentCoding c : codings) data = encode(c, data);
  return data;
}

std::string name(const std::vector<ContentCoding>& codings) {
  std::string s;
  for (ContentCoding c : codings) s += (s.empty() ? "" : ", ") + std::string(to_string(c));
  return s.empty() ? "identity" : s;
}

void check_round_trip(const std::vector<ContentCoding>& codings, const std::string& body, const std::string& wire,
                      const Decoded& r) {
  INFO(name(codings) << ": " << body.size() << " bytes, " << wire.size() << " on the wire");
  CHECK(r.status == DecodeStatus::done);
  CHECK(r.wire == wire.size());
  CHECK(r.decoded == body.size());
  CHECK(r.bytes.size() == body.size());
  CHECK(same_bytes(r.bytes, body));
  CHECK(r.largest_write <= decoder_chunk_bytes);
}

}  // namespace

TEST_CASE("each coding decodes what its library's encoder wrote, whole, bytewise and in uneven pieces",
          "[content_decoder]") {
  const std::string body = sample_body(300 * 1024);
  const std::string small = sample_body(24 * 1024);
  for (ContentCoding c : all_codings) {
    const std::vector<ContentCoding> codings{c};
    const std::string wire = encode(c, body);
    check_round_trip(codings, body, wire, decode_whole(codings, wire));
    check_round_trip(codings, body, wire, decode_uneven(codings, wire));
    const std::string small_wire = encode(c, small);
    check_round_trip(codings, small, small_wire, decode_bytewise(codings, small_wire));
  }
}

TEST_CASE("every compression level and window decodes", "[content_decoder]") {
  const std::string body = sample_body(64 * 1024);
  for (int level : {1, 6, 9}) {
    for (ContentCoding c : {ContentCoding::gzip, ContentCoding::deflate}) {
      const std::string wire = encode(c, body, {.level = level});
      check_round_trip({c}, body, wire, decode_whole({c}, wire));
    }
  }
  for (int quality : {0, 5, 11}) {
    for (int lgwin : {10, 16, 24}) {
      const std::string wire = encode(ContentCoding::br, body, {.level = quality, .brotli_lgwin = lgwin});
      check_round_trip({ContentCoding::br}, body, wire, decode_whole({ContentCoding::br}, wire));
    }
  }
  for (int level : {1, 3, 19}) {
    const std::string wire = encode(ContentCoding::zstd, body, {.level = level, .zstd_checksum = true});
    check_round_trip({ContentCoding::zstd}, body, wire, decode_whole({ContentCoding::zstd}, wire));
  }
}

TEST_CASE("no coding passes the body through, bounded by max_output", "[content_decoder]") {
  const std::string body = sample_body(100 * 1024);
  check_round_trip({}, body, body, decode_whole({}, body));
  check_round_trip({}, body, body, decode_bytewise({}, body));

  const Decoded cut = decode_uneven({}, body, 1000);
  CHECK(cut.feed_status == DecodeStatus::too_large);
  CHECK(cut.status == DecodeStatus::too_large);
  CHECK(same_bytes(cut.bytes, body.substr(0, 1000)));
  CHECK(cut.decoded == 1000);
}

TEST_CASE("stacked codings are undone in reverse order", "[content_decoder]") {
  const std::string body = sample_body(80 * 1024);
  const std::vector<std::vector<ContentCoding>> stacks = {
      {ContentCoding::gzip, ContentCoding::br},
      {ContentCoding::br, ContentCoding::gzip},
      {ContentCoding::deflate, ContentCoding::zstd},
      {ContentCoding::zstd, ContentCoding::deflate},
      {ContentCoding::gzip, ContentCoding::gzip},
      {ContentCoding::zstd, ContentCoding::gzip, ContentCoding::br, ContentCoding::deflate},
  };
  for (const auto& stack : stacks) {
    const std::string wire = encode_stack(stack, body);
    check_round_trip(stack, body, wire, decode_whole(stack, wire));
    check_round_trip(stack, body, wire, decode_uneven(stack, wire));
  }
  const std::string small = sample_body(6 * 1024);
  const std::vector<ContentCoding> pair{ContentCoding::gzip, ContentCoding::zstd};
  const std::string wire = encode_stack(pair, small);
  check_round_trip(pair, small, wire, decode_bytewise(pair, wire));

  // In the wrong order the outer stream is not what its coding says.
  CHECK(decode_whole({ContentCoding::br, ContentCoding::gzip}, encode_stack(stacks[0], body)).status ==
        DecodeStatus::corrupt);
}

TEST_CASE("max_output: a body of exactly that size is done, one byte more is too_large after max_output bytes",
          "[content_decoder]") {
  const std::string body = sample_body(50 * 1024);
  for (ContentCoding c : all_codings) {
    INFO(to_string(c));
    const std::string wire = encode(c, body);
    CHECK(decode_whole({c}, wire, body.size()).status == DecodeStatus::done);
    for (const std::uint64_t limit : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{16384}, body.size() - 1}) {
      INFO("max_output " << limit);
      for (const Decoded& r : {decode_whole({c}, wire, limit), decode_bytewise({c}, wire, limit)}) {
        CHECK(r.feed_status == DecodeStatus::too_large);
        CHECK(r.status == DecodeStatus::too_large);
        CHECK(r.decoded == limit);
        CHECK(same_bytes(r.bytes, body.substr(0, limit)));
      }
    }
  }
}

TEST_CASE("gzip: concatenated members are one body, what follows a member must be another", "[content_decoder]") {
  const std::string a = sample_body(30 * 1024), b = "second member", c = sample_body(5000);
  const std::string wire = encode(ContentCoding::gzip, a) + encode(ContentCoding::gzip, b) +
                           encode(ContentCoding::gzip, "") + encode(ContentCoding::gzip, c);
  check_round_trip({ContentCoding::gzip}, a + b + c, wire, decode_whole({ContentCoding::gzip}, wire));
  check_round_trip({ContentCoding::gzip}, a + b + c, wire, decode_bytewise({ContentCoding::gzip}, wire));

  const std::string member = encode(ContentCoding::gzip, a);
  for (const std::string& tail : {std::string("\0\0\0\0", 4), std::string("garbage"), std::string("\x1f", 1) + "x",
                                  encode(ContentCoding::deflate, b), encode(ContentCoding::zstd, b)}) {
    const Decoded r = decode_whole({ContentCoding::gzip}, member + tail);
    CHECK(r.status == DecodeStatus::corrupt);
    CHECK(same_bytes(r.bytes, a));  // the member before it was delivered
  }
  // A member cut inside the next one's header is truncated.
  CHECK(decode_whole({ContentCoding::gzip}, member + "\x1f").status == DecodeStatus::truncated);
}

TEST_CASE("deflate takes the zlib format, raw deflate or a gzip member, gzip takes gzip or zlib format", "[content_decoder]") {
  const std::string body = sample_body(40 * 1024);
  for (Wrapper w : {Wrapper::zlib, Wrapper::raw, Wrapper::gzip}) {
    const std::string wire = encode(ContentCoding::deflate, body, {.deflate_wrapper = w});
    INFO("wrapper " << static_cast<int>(w));
    check_round_trip({ContentCoding::deflate}, body, wire, decode_whole({ContentCoding::deflate}, wire));
    check_round_trip({ContentCoding::deflate}, body, wire, decode_bytewise({ContentCoding::deflate}, wire));
    CHECK(decode_whole({ContentCoding::deflate}, wire + "x").status == DecodeStatus::corrupt);
    // deflate is one stream: a second one after it is corrupt.
    CHECK(decode_whole({ContentCoding::deflate}, wire + wire).status == DecodeStatus::corrupt);
  }
  const std::string zlib = encode(ContentCoding::deflate, body, {.deflate_wrapper = Wrapper::zlib});
  check_round_trip({ContentCoding::gzip}, body, zlib, decode_whole({ContentCoding::gzip}, zlib));
  const std::string raw = encode(ContentCoding::deflate, body, {.deflate_wrapper = Wrapper::raw});
  CHECK(decode_whole({ContentCoding::gzip}, raw).status == DecodeStatus::corrupt);
}

TEST_CASE("br: one stream, bytes after its end are corrupt", "[content_decoder]") {
  const std::string body = sample_body(20 * 1024);
  const std::string wire = encode(ContentCoding::br, body);
  CHECK(decode_whole({ContentCoding::br}, wire + wire).status == DecodeStatus::corrupt);
  CHECK(decode_bytewise({ContentCoding::br}, wire + std::string(1, '\0')).status == DecodeStatus::corrupt);
}

TEST_CASE("zstd: several frames and skippable frames are one body, legacy and unknown frames are refused",
          "[content_decoder]") {
  const std::string a = sample_body(20 * 1024), b = sample_body(3000);
  // A skippable frame: magic 0x184D2A5?, 4-byte little-endian length, that many bytes.
  const std::string skippable = std::string("\x53\x2a\x4d\x18\x05\x00\x00\x00", 8) + "hello";
  const std::string wire = encode(ContentCoding::zstd, a) + skippable + encode(ContentCoding::zstd, b) + skippable;
  check_round_trip({ContentCoding::zstd}, a + b, wire, decode_whole({ContentCoding::zstd}, wire));
  check_round_trip({ContentCoding::zstd}, a + b, wire, decode_bytewise({ContentCoding::zstd}, wire));

  CHECK(decode_whole({ContentCoding::zstd}, encode(ContentCoding::zstd, a) + "junk").status == DecodeStatus::corrupt);
  CHECK(decode_whole({ContentCoding::zstd}, encode(ContentCoding::zstd, a) + "\x28\xb5").status ==
        DecodeStatus::truncated);

  // A v0.7 frame header asking for a 2^27 window: libzstd would decode it, and
  // allocate 128 MiB for it, before any windowLogMax check.
  const std::string legacy("\x27\xb5\x2f\xfd\x00\x88\x00\x00\x05hello", 14);
  const std::size_t heap_before = heap_in_use();
  ContentDecoder d(std::vector{ContentCoding::zstd}, unlimited);
  DiscardSink sink;
  CHECK(d.feed(legacy, sink) == DecodeStatus::corrupt);
  CHECK(d.peak_memory_bytes() < 512 * 1024);
  if (heap_measurable) CHECK(heap_in_use() < heap_before + 1024 * 1024);
}

TEST_CASE("zstd: a frame header cut anywhere reads the same: a frame needing a dictionary is corrupt", "[content_decoder]") {
  // content_decoder_fuzz found it: magic, a descriptor asking for dictionary
  // 0x4d, a window, a content size of 280, an empty raw block. Fed with the
  // magic apart from the rest, libzstd's single-pass shortcut read the rest
  // as a skippable frame of its own and called it done.
  const std::string wire("\x28\xb5\x2f\xfd\x51\x2a\x4d\x18\x00\x00\x00\x00\x00", 13);
  CHECK(decode_whole({ContentCoding::zstd}, wire).status == DecodeStatus::corrupt);
  CHECK(decode_bytewise({ContentCoding::zstd}, wire).status == DecodeStatus::corrupt);
  for (std::size_t cut = 1; cut < wire.size(); ++cut) {
    INFO("cut at " << cut);
    ContentDecoder d(std::vector{ContentCoding::zstd}, unlimited);
    DiscardSink sink;
    DecodeStatus s = d.feed(std::string_view(wire).substr(0, cut), sink);
    if (s == DecodeStatus::ok) s = d.feed(std::string_view(wire).substr(cut), sink);
    if (s == DecodeStatus::ok) s = d.finish();
    CHECK(s == DecodeStatus::corrupt);
  }
}

TEST_CASE("zstd: an empty skippable frame, its header all of it, is followed by the next frame's checks",
          "[content_decoder]") {
  // content_decoder_fuzz found it: a frame, an empty skippable frame, then 3
  // bytes of no frame yet. Fed whole, the 3 bytes reached libzstd unchecked.
  const std::string frame = encode(ContentCoding::zstd, "one");
  const std::string empty_skippable("\x50\x2a\x4d\x18\x00\x00\x00\x00", 8);
  for (const std::string& tail : {std::string("\x64\x8f\x77"), std::string()}) {
    const std::string wire = frame + empty_skippable + tail;
    const DecodeStatus expected = tail.empty() ? DecodeStatus::done : DecodeStatus::truncated;
    INFO("tail of " << tail.size());
    const Decoded whole = decode_whole({ContentCoding::zstd}, wire);
    CHECK(whole.status == expected);
    CHECK(whole.bytes == "one");
    CHECK(decode_bytewise({ContentCoding::zstd}, wire).status == expected);
  }
  CHECK(decode_whole({ContentCoding::zstd}, frame + empty_skippable + "junk").status == DecodeStatus::corrupt);
}

TEST_CASE("zstd: a window up to 8 MiB decodes, a frame asking for more is refused before it is allocated",
          "[content_decoder]") {
  // Streamed without a known size, the frame header carries the window asked
  // for (a frame whose content size is known asks only for that much).
  const std::string body = sample_body(9 * 1024 * 1024);
  for (int window_log : {20, 23}) {
    test::StreamEncoder e(ContentCoding::zstd, {.level = 1, .zstd_window_log = window_log});
    e.add(body);
    const std::string wire = e.finish();
    INFO("window 2^" << window_log);
    const Decoded r = decode_uneven({ContentCoding::zstd}, wire);
    CHECK(r.status == DecodeStatus::done);
    CHECK(same_bytes(r.bytes, body));
  }
  for (int window_log : {24, 27}) {
    test::StreamEncoder e(ContentCoding::zstd, {.level = 1, .zstd_window_log = window_log});
    e.add(std::string_view(body).substr(0, 64 * 1024));
    const std::string wire = e.finish();
    INFO("window 2^" << window_log);
    const std::size_t heap_before = heap_in_use();
    ContentDecoder d(std::vector{ContentCoding::zstd}, unlimited);
    CollectSink sink;
    CHECK(d.feed(wire, sink) == DecodeStatus::corrupt);
    CHECK(sink.bytes.empty());
    INFO("peak " << d.peak_memory_bytes());
    CHECK(d.peak_memory_bytes() < 512 * 1024);
    if (heap_measurable) CHECK(heap_in_use() < heap_before + 1024 * 1024);
  }
}

TEST_CASE("a stream cut anywhere is truncated, never done", "[content_decoder]") {
  const std::string body = sample_body(3000);
  std::vector<std::vector<ContentCoding>> stacks;
  for (ContentCoding c : all_codings) stacks.push_back({c});
  stacks.push_back({ContentCoding::zstd, ContentCoding::gzip});
  stacks.push_back({ContentCoding::deflate, ContentCoding::br});
  for (const auto& stack : stacks) {
    const std::string wire = encode_stack(stack, body);
    INFO(name(stack) << ", " << wire.size() << " bytes");
    for (std::size_t cut = 1; cut < wire.size(); ++cut) {
      INFO("cut at " << cut);
      const Decoded r = decode_whole(stack, std::string_view(wire).substr(0, cut));
      CHECK(r.status == DecodeStatus::truncated);
      CHECK(same_bytes(r.bytes, body.substr(0, r.bytes.size())));
    }
  }
}

TEST_CASE("garbage that claims a coding is corrupt", "[content_decoder]") {
  const std::string html = "<!doctype html><html><head><title>Not compressed</title></head><body>" +
                           sample_body(2000) + "</body></html>";
  for (ContentCoding c : all_codings) {
    INFO(to_string(c));
    CHECK(decode_whole({c}, html).status == DecodeStatus::corrupt);
    CHECK(decode_bytewise({c}, html).status == DecodeStatus::corrupt);
  }
  // A flipped byte inside the data is caught by gzip's and zlib's checksums
  // and zstd's frame checksum (Brotli has no checksum).
  const std::string body = sample_body(20 * 1024);
  for (ContentCoding c : {ContentCoding::gzip, ContentCoding::deflate, ContentCoding::zstd}) {
    std::string wire = encode(c, body, {.zstd_checksum = true});
    wire[wire.size() / 2] = static_cast<char>(wire[wire.size() / 2] ^ 0x20);
    INFO(to_string(c));
    CHECK(decode_whole({c}, wire).status == DecodeStatus::corrupt);
  }
}

TEST_CASE("an empty body is an empty body under every coding", "[content_decoder]") {
  for (ContentCoding c : all_codings) {
    for (const auto& stack : {std::vector{c}, std::vector{c, ContentCoding::gzip}}) {
      ContentDecoder d(stack, 100);
      CollectSink sink;
      CHECK(d.feed(std::string_view{}, sink) == DecodeStatus::ok);
      CHECK(d.finish() == DecodeStatus::done);
      CHECK(d.wire_bytes() == 0);
      CHECK(d.decoded_bytes() == 0);
      CHECK(sink.writes == 0);
    }
    // An encoded empty body too.
    check_round_trip({c}, "", encode(c, ""), decode_bytewise({c}, encode(c, "")));
  }
}

TEST_CASE("after too_large, corrupt or finish() the decoder does nothing more", "[content_decoder]") {
  const std::string wire = encode(ContentCoding::gzip, sample_body(10000));
  ContentDecoder big(std::vector{ContentCoding::gzip}, 10);
  CollectSink sink;
  CHECK(big.feed(wire, sink) == DecodeStatus::too_large);
  CHECK(big.feed(wire, sink) == DecodeStatus::too_large);
  CHECK(big.finish() == DecodeStatus::too_large);
  CHECK(sink.bytes.size() == 10);

  ContentDecoder bad(std::vector{ContentCoding::br}, 1000);
  CHECK(bad.feed("definitely not brotli", sink) == DecodeStatus::corrupt);
  CHECK(bad.feed(wire, sink) == DecodeStatus::corrupt);
  CHECK(bad.finish() == DecodeStatus::corrupt);

  ContentDecoder done(std::vector{ContentCoding::gzip}, unlimited);
  CollectSink all;
  CHECK(done.feed(wire, all) == DecodeStatus::ok);
  CHECK(done.finish() == DecodeStatus::done);
  CHECK(done.feed(wire, all) == DecodeStatus::done);
  CHECK(done.wire_bytes() == wire.size());
}

TEST_CASE("more than max_content_codings codings are refused", "[content_decoder]") {
  const std::vector<ContentCoding> five(max_content_codings + 1, ContentCoding::gzip);
  CHECK_THROWS_AS(ContentDecoder(five, 100), std::invalid_argument);
  const std::vector<ContentCoding> four(max_content_codings, ContentCoding::gzip);
  CHECK_NOTHROW(ContentDecoder(four, 100));
}

TEST_CASE("status names", "[content_decoder]") {
  CHECK(to_string(DecodeStatus::ok) == "ok");
  CHECK(to_string(DecodeStatus::done) == "done");
  CHECK(to_string(DecodeStatus::too_large) == "too_large");
  CHECK(to_string(DecodeStatus::corrupt) == "corrupt");
  CHECK(to_string(DecodeStatus::truncated) == "truncated");
}

namespace {

// Counts, checks every byte is zero, and samples the heap while the decoder
// works (it writes to the sink from inside feed()).
struct BombSink final : DecodedSink {
  std::uint64_t bytes = 0;
  bool all_zero = true;
  std::size_t heap_base = heap_in_use();
  std::size_t heap_peak = 0;
  void sample() {
    const std::size_t now = heap_in_use();
    heap_peak = std::max(heap_peak, now - std::min(now, heap_base));
  }
  void write(std::span<const std::byte> d) override {
    bytes += d.size();
    all_zero = all_zero && std::all_of(d.begin(), d.end(), [](std::byte b) { return b == std::byte{0}; });
    sample();
  }
};

struct Bomb {
  std::vector<ContentCoding> codings;
  std::string wire;
  std::size_t memory_bound;  // what the decoder may hold for this stream
};

}  // namespace

TEST_CASE("bombs: 64 MiB of zeros stop at max_output with the decoder's memory small", "[content_decoder]") {
  constexpr std::uint64_t zeros = 64ull << 20;
  constexpr std::uint64_t max_output = 1ull << 20;
  constexpr std::size_t buffer = decoder_chunk_bytes;
  std::vector<Bomb> bombs;
  // zlib: about 7 KiB of state and a 32 KiB window.
  bombs.push_back({{ContentCoding::gzip}, encode_zeros(ContentCoding::gzip, zeros, {.level = 9}), 64 * 1024 + buffer});
  bombs.push_back(
      {{ContentCoding::deflate}, encode_zeros(ContentCoding::deflate, zeros, {.level = 9}), 64 * 1024 + buffer});
  // Brotli: its window (2^22 here) plus tables.
  bombs.push_back({{ContentCoding::br},
                   encode_zeros(ContentCoding::br, zeros, {.level = 5, .brotli_lgwin = 22}),
                   (4u << 20) + 256 * 1024 + buffer});
  // zstd: the window its frame asks for (2^23, the cap) plus a block and the context.
  bombs.push_back({{ContentCoding::zstd},
                   encode_zeros(ContentCoding::zstd, zeros, {.level = 3, .zstd_window_log = 23}),
                   (8u << 20) + 512 * 1024 + buffer});
  // Stacked: a gzip bomb inside br, decoded through both stages.
  bombs.push_back({{ContentCoding::gzip, ContentCoding::br},
                   encode(ContentCoding::br, encode_zeros(ContentCoding::gzip, zeros, {.level = 9})),
                   64 * 1024 + (4u << 20) + 256 * 1024 + 2 * buffer});

  for (const Bomb& bomb : bombs) {
    INFO(name(bomb.codings) << ": " << bomb.wire.size() << " bytes on the wire");
    BombSink sink;
    ContentDecoder d(bomb.codings, max_output);
    DecodeStatus status = DecodeStatus::ok;
    std::size_t fed = 0;
    while (fed < bomb.wire.size() && status == DecodeStatus::ok) {
      const std::size_t n = std::min<std::size_t>(16, bomb.wire.size() - fed);
      status = d.feed(std::string_view(bomb.wire).substr(fed, n), sink);
      fed += n;
      sink.sample();
    }
    INFO("decoder peak " << d.peak_memory_bytes() << " bytes, heap growth " << sink.heap_peak << " bytes, " << fed
                         << " wire bytes fed");
    CHECK(status == DecodeStatus::too_large);
    CHECK(d.finish() == DecodeStatus::too_large);
    CHECK(d.decoded_bytes() == max_output);
    CHECK(sink.bytes == max_output);
    CHECK(sink.all_zero);
    CHECK(fed < bomb.wire.size());  // stopped before the end of the wire bytes
    CHECK(d.peak_memory_bytes() <= bomb.memory_bound);
    // The heap, seen from outside, agrees with the decoder's own count.
    if (heap_measurable) CHECK(sink.heap_peak <= d.peak_memory_bytes() + 256 * 1024);
  }
}

TEST_CASE("a stage between codings is bounded too: gzip over endless zstd skippable frames", "[content_decoder]") {
  // zstd decodes skippable frames to nothing, so the final output stays empty
  // while the gzip stage would produce 256 MiB.
  const std::string frame = std::string("\x50\x2a\x4d\x18\x00\x00\x10\x00", 8) + std::string(1 << 20, '\0');
  test::StreamEncoder e(ContentCoding::gzip, {.level = 9});
  for (int i = 0; i < 256; ++i) e.add(frame);
  const std::string wire = e.finish();
  const std::uint64_t max_output = 1 << 20;
  ContentDecoder d(std::vector{ContentCoding::zstd, ContentCoding::gzip}, max_output);
  CollectSink sink;
  DecodeStatus status = DecodeStatus::ok;
  std::size_t fed = 0;
  while (fed < wire.size() && status == DecodeStatus::ok) {
    const std::size_t n = std::min<std::size_t>(4096, wire.size() - fed);
    status = d.feed(std::string_view(wire).substr(fed, n), sink);
    fed += n;
  }
  CHECK(status == DecodeStatus::too_large);
  CHECK(d.decoded_bytes() == 0);
  // Stopped once the gzip stage passed 2 * max_output + 64 KiB, about a
  // hundredth of the way in.
  CHECK(fed < wire.size() / 50);
}
