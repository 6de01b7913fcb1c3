// The encoding side of each content coding, from the libraries' own encoders,
// to make the decoders' test inputs (and the fuzz seeds).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "asyncfetch/wire/content_coding.hpp"

namespace asyncfetch::test {

enum class Wrapper { gzip, zlib, raw };  // what zlib's deflate writes around the data

struct EncoderOptions {
  int level = 6;                // zlib 1-9, Brotli 0-11 (quality), zstd 1-22
  int brotli_lgwin = 22;        // Brotli window: 2^lgwin bytes
  int zstd_window_log = 0;      // 0: the level's own; else forced (a frame header asks for 2^log)
  bool zstd_checksum = false;   // a checksum in each zstd frame
  Wrapper deflate_wrapper = Wrapper::zlib;  // for ContentCoding::deflate
};

// Streams data through one encoder; the compressed bytes accumulate in `out`.
class StreamEncoder {
 public:
  StreamEncoder(ContentCoding coding, const EncoderOptions& options = {});
  ~StreamEncoder();
  StreamEncoder(const StreamEncoder&) = delete;
  StreamEncoder& operator=(const StreamEncoder&) = delete;

  void add(std::string_view data);
  std::string finish();  // ends the stream and returns everything written

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string encode(ContentCoding coding, std::string_view data, const EncoderOptions& options = {});
// `bytes` zero bytes, encoded without ever holding them all.
std::string encode_zeros(ContentCoding coding, std::uint64_t bytes, const EncoderOptions& options = {});
// A body varied enough to exercise literals, matches and stored blocks: text
// with numbers and runs, and stretches of pseudo-random bytes (fixed seed).
std::string sample_body(std::size_t bytes);

}  // namespace asyncfetch::test
