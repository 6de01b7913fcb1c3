// Writes content_decoder_fuzz's seed corpus: small bodies in each coding and
// stacks of them, with the variants the decoder treats specially (gzip
// members, raw deflate, zstd frames and skippable frames, a window over the
// cap, a legacy frame), small bombs, cut and corrupt streams. Each seed is the
// fuzz target's three control bytes and a body.
//
// From the repository's top:
//   g++ -std=c++20 -Iservice/wire/include -Itests/wire -o /tmp/seeds fuzz/make_content_decoder_seeds.cpp
//       tests/wire/test_encoders.cpp service/wire/src/content_coding.cpp -lz -lbrotlienc -lzstd
//   /tmp/seeds fuzz/corpus/content_decoder_fuzz
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "test_encoders.hpp"

using namespace asyncfetch;
using test::encode;
using test::EncoderOptions;

namespace {

std::string dir;

// Byte 0 as the fuzz target reads it: count << 6 | codings, two bits each.
char codings_byte(std::initializer_list<ContentCoding> codings) {
  unsigned b = static_cast<unsigned>(codings.size()) << 6;
  unsigned i = 0;
  for (ContentCoding c : codings) b |= static_cast<unsigned>(c) << (2 * i++);
  return static_cast<char>(b);
}

void seed(const std::string& name, std::initializer_list<ContentCoding> codings, unsigned char limit,
          unsigned char piece, const std::string& body) {
  std::ofstream(dir + "/" + name, std::ios::binary)
      << codings_byte(codings) << static_cast<char>(limit) << static_cast<char>(piece) << body;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  dir = argv[1];
  using C = ContentCoding;
  const std::string body = test::sample_body(1500);
  const unsigned char big = 255, small = 20;  // max_output: 940 KiB, 20 KiB

  seed("gzip", {C::gzip}, big, 7, encode(C::gzip, body));
  seed("deflate_zlib", {C::deflate}, big, 3, encode(C::deflate, body));
  seed("deflate_raw", {C::deflate}, big, 1, encode(C::deflate, body, {.deflate_wrapper = test::Wrapper::raw}));
  seed("deflate_gzip", {C::deflate}, big, 64, encode(C::deflate, body, {.deflate_wrapper = test::Wrapper::gzip}));
  seed("br", {C::br}, big, 5, encode(C::br, body));
  seed("br_small_window", {C::br}, big, 9, encode(C::br, body, {.level = 11, .brotli_lgwin = 10}));
  seed("zstd", {C::zstd}, big, 11, encode(C::zstd, body, {.zstd_checksum = true}));
  seed("identity", {}, 3, 100, body);

  seed("gzip_members", {C::gzip}, big, 13, encode(C::gzip, "one") + encode(C::gzip, "") + encode(C::gzip, body));
  const std::string skippable = std::string("\x50\x2a\x4d\x18\x03\x00\x00\x00", 8) + "abc";
  seed("zstd_frames", {C::zstd}, big, 2, encode(C::zstd, "one") + skippable + encode(C::zstd, body));
  {
    test::StreamEncoder e(C::zstd, {.level = 1, .zstd_window_log = 24});
    e.add(body);
    seed("zstd_window_24", {C::zstd}, big, 50, e.finish());
  }
  seed("zstd_legacy_v07", {C::zstd}, big, 100, std::string("\x27\xb5\x2f\xfd\x00\x88\x00\x00\x05hello", 14));

  seed("gzip_br", {C::gzip, C::br}, big, 4, encode(C::br, encode(C::gzip, body)));
  seed("zstd_deflate", {C::zstd, C::deflate}, big, 17, encode(C::deflate, encode(C::zstd, body)));
  seed("br_gzip_zstd", {C::br, C::gzip, C::zstd}, big, 30, encode(C::zstd, encode(C::gzip, encode(C::br, body))));

  for (C c : {C::gzip, C::deflate, C::br, C::zstd}) {
    const std::string n(to_string(c));
    seed("bomb_" + n, {c}, small, 255, test::encode_zeros(c, 1 << 20));
    const std::string wire = encode(c, body);
    seed("cut_" + n, {c}, big, 8, wire.substr(0, wire.size() - 1));
    std::string flipped = wire;
    flipped[flipped.size() / 2] ^= 0x10;
    seed("flipped_" + n, {c}, big, 8, flipped);
    seed("trailing_" + n, {c}, big, 8, wire + "trailing");
    seed("limit_" + n, {c}, 9, 1, wire);
  }
  seed("garbage_gzip", {C::gzip}, big, 10, "<html><body>not gzip</body></html>");
  seed("empty", {C::gzip}, big, 1, "");
  return 0;
}
