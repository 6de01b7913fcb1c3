// The HTTP content codings the service can decode (RFC 9110 §8.4.1), what it
// offers in Accept-Encoding, and the parsing of a response's Content-Encoding.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asyncfetch {

enum class ContentCoding {
  gzip,     // RFC 1952; "x-gzip" too (RFC 9110 §8.4.1.3)
  deflate,  // the zlib format (RFC 1950) per RFC 9110 §8.4.1.2; raw deflate also accepted
  br,       // Brotli, RFC 7932
  zstd,     // Zstandard, RFC 8878
};

// The token as sent on the wire: "gzip", "deflate", "br", "zstd".
std::string_view to_string(ContentCoding coding) noexcept;

// The Accept-Encoding value listing every coding above: "gzip, deflate, br, zstd".
std::string_view accept_encoding() noexcept;

// More codings than this on one response are refused, as unknown ones are: each
// stage holds a decoder's window (up to 16 MiB for Brotli), and no real server
// stacks more than two.
inline constexpr std::size_t max_content_codings = 4;

// The codings of a Content-Encoding value (several fields joined with ","), in
// the order the server applied them; the body is decoded in reverse order.
// Tokens are case-insensitive, blanks around them and empty list elements are
// ignored, and "identity" is dropped (it changes nothing), so an empty or
// blank value gives an empty list: the body is not encoded. nullopt when a
// coding is unknown (compress, a parameter, a bad token) or there are more than
// max_content_codings: the body cannot be decoded.
std::optional<std::vector<ContentCoding>> parse_content_encoding(std::string_view value);

// A Content-Encoding value as a result reports it: the codings in the order
// applied, lower-cased, joined with ", ", with the elements parse_content_encoding
// ignores left out; a coding it does not know is kept as sent (lower-cased).
// Empty when the body is not encoded.
std::string normalize_content_encoding(std::string_view value);

}  // namespace asyncfetch
