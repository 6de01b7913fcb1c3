// One content coding's decompressor, behind the interface the decoder's
// pipeline drives (content_decoder.cpp). Private to the wire library.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "asyncfetch/wire/content_coding.hpp"

namespace asyncfetch::codec {

class Codec {
 public:
  virtual ~Codec() = default;

  // Decodes from the front of `in` into the front of `out`, advancing both,
  // until `in` is empty with all its output written, or `out` is full.
  // Returns false when the bytes are not valid for the coding (including bytes
  // after the end of a stream that allows no more). Throws std::bad_alloc when
  // the library cannot allocate.
  virtual bool decode(std::span<const std::byte>& in, std::span<std::byte>& out) = 0;

  // True when the bytes decoded so far end where the body may end: nothing yet,
  // or a complete stream (member, frame).
  virtual bool at_end_of_stream() const noexcept = 0;

  // The most memory the library's state has held at once.
  virtual std::size_t peak_memory_bytes() const noexcept = 0;
};

std::unique_ptr<Codec> make_zlib_codec(ContentCoding coding);  // gzip or deflate
std::unique_ptr<Codec> make_brotli_codec();
std::unique_ptr<Codec> make_zstd_codec();

}  // namespace asyncfetch::codec
