// Streaming decoding of a response body's content codings, bounded.
//
// One ContentDecoder per response: feed() it the body bytes as they arrive off
// the wire, then finish() at the end of the body. Decoded bytes go to a sink
// as they are produced, in pieces of at most decoder_chunk_bytes; the decoder
// itself keeps no body, only each coding's working state and one fixed buffer
// per coding. Its output never passes max_output bytes: when the body decodes
// to more, the sink has received exactly the first max_output bytes and the
// status is too_large, so a compression bomb stops after max_output bytes of
// output and work. When the data turns out corrupt, what decoded before the
// bad bytes has reached the sink.
//
// What is accepted, and why:
// - gzip: zlib's gzip/zlib auto-detection (either header is decoded). Several
//   gzip members one after another are decoded as one body, as gunzip and Go's
//   net/http do (curl fails on them); bytes after a member that do not begin
//   another gzip member are corrupt.
// - deflate: the zlib format (RFC 9110), or a gzip member; a body whose first
//   two bytes are neither a zlib nor a gzip header is decoded as raw deflate
//   (RFC 1951), as browsers and curl accept from servers that send it.
// - br: one Brotli stream. Its window is at most 16 MiB (the format's limit;
//   the large-window extension is off).
// - zstd: one or more frames (skippable ones included). A frame asking for a
//   window over 8 MiB (2^23, RFC 9659's limit for the zstd content coding,
//   which browsers apply too) is refused as corrupt before its window is
//   allocated; so are frames of zstd's pre-standard formats, which the
//   library would size without that limit.
// - After the end of a br or deflate stream, further bytes are corrupt.
// - An empty body is a valid empty body under every coding (HEAD-like replies
//   and empty 200s carry Content-Encoding too).
// - With codings stacked, each intermediate stage may produce at most
//   2 * max_output + 64 KiB: the input of a coding is never much larger than
//   its output, and without this bound a body of gzip over zstd skippable
//   frames would make the decoder churn through gigabytes producing nothing.
//
// Errors: bad data is a status, never an exception. The constructor throws
// std::invalid_argument for more than max_content_codings codings; any call
// may throw std::bad_alloc; an exception thrown by the sink propagates, and
// the decoder may then only be destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "asyncfetch/wire/content_coding.hpp"

namespace asyncfetch {

enum class DecodeStatus {
  ok,         // all bytes fed so far are consumed; feed more, or finish()
  done,       // finish(): the body ended where its codings' streams end
  too_large,  // the decoded body is longer than max_output
  corrupt,    // the bytes are not valid data for the coding (or trail its end)
  truncated,  // finish(): the body ended in the middle of a coding's stream
};

std::string_view to_string(DecodeStatus status) noexcept;

// Where decoded bytes go.
class DecodedSink {
 public:
  virtual void write(std::span<const std::byte> decoded) = 0;

 protected:
  ~DecodedSink() = default;
};

// Appends to a string (a body kept for include_body).
class StringSink final : public DecodedSink {
 public:
  explicit StringSink(std::string& out) noexcept : out_(&out) {}
  void write(std::span<const std::byte> decoded) override;

 private:
  std::string* out_;
};

// Keeps nothing: the decoder's own count is all a caller needs.
class DiscardSink final : public DecodedSink {
 public:
  void write(std::span<const std::byte>) override {}
};

// The largest piece handed to a sink, and the size of each coding's buffer.
inline constexpr std::size_t decoder_chunk_bytes = 16 * 1024;

class ContentDecoder {
 public:
  // codings: as parse_content_encoding gives them, in the order applied; an
  // empty list passes bytes through (identity), still bounded by max_output.
  ContentDecoder(std::span<const ContentCoding> codings, std::uint64_t max_output);
  ~ContentDecoder();
  ContentDecoder(ContentDecoder&&) noexcept;  // a moved-from decoder may only be destroyed or assigned to
  ContentDecoder& operator=(ContentDecoder&&) noexcept;

  // Decodes `wire`, all of it unless the status is too_large or corrupt.
  // Returns ok, too_large or corrupt; after too_large or corrupt (or after
  // finish()) further calls do nothing and return the same status.
  DecodeStatus feed(std::span<const std::byte> wire, DecodedSink& sink);
  DecodeStatus feed(std::string_view wire, DecodedSink& sink) { return feed(std::as_bytes(std::span(wire)), sink); }

  // The body has ended: done, truncated, or the too_large/corrupt of feed().
  // feed() has already handed the sink everything decodable.
  DecodeStatus finish();

  std::uint64_t wire_bytes() const noexcept;     // bytes fed while the status was ok
  std::uint64_t decoded_bytes() const noexcept;  // bytes handed to the sink
  // An upper bound of the memory the decoder has held at any one time: its
  // buffers plus each coding library's state, counted through the libraries'
  // allocator hooks (zlib, Brotli) or their own report after each call (zstd).
  std::size_t peak_memory_bytes() const noexcept;

 private:
  struct Pipeline;
  std::unique_ptr<Pipeline> pipeline_;
};

}  // namespace asyncfetch
