// Content-Encoding values as servers send them, and what the service offers.
#include "asyncfetch/wire/content_coding.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <vector>

using namespace asyncfetch;
using Codings = std::vector<ContentCoding>;

TEST_CASE("parse_content_encoding: the four codings, in the order applied", "[content_coding]") {
  CHECK(parse_content_encoding("gzip") == Codings{ContentCoding::gzip});
  CHECK(parse_content_encoding("deflate") == Codings{ContentCoding::deflate});
  CHECK(parse_content_encoding("br") == Codings{ContentCoding::br});
  CHECK(parse_content_encoding("zstd") == Codings{ContentCoding::zstd});
  CHECK(parse_content_encoding("gzip, br") == Codings{ContentCoding::gzip, ContentCoding::br});
  CHECK(parse_content_encoding("zstd,deflate,gzip,br") ==
        Codings{ContentCoding::zstd, ContentCoding::deflate, ContentCoding::gzip, ContentCoding::br});
}

TEST_CASE("parse_content_encoding: case, x-gzip, blanks, empty elements, identity", "[content_coding]") {
  CHECK(parse_content_encoding("GZip") == Codings{ContentCoding::gzip});
  CHECK(parse_content_encoding("BR") == Codings{ContentCoding::br});
  CHECK(parse_content_encoding("x-gzip") == Codings{ContentCoding::gzip});
  CHECK(parse_content_encoding("X-GZIP") == Codings{ContentCoding::gzip});
  CHECK(parse_content_encoding(" \tgzip \t, \tbr\t ") == Codings{ContentCoding::gzip, ContentCoding::br});
  CHECK(parse_content_encoding("gzip,,br,") == Codings{ContentCoding::gzip, ContentCoding::br});
  CHECK(parse_content_encoding(",") == Codings{});
  CHECK(parse_content_encoding("") == Codings{});
  CHECK(parse_content_encoding("  ") == Codings{});
  CHECK(parse_content_encoding("identity") == Codings{});
  CHECK(parse_content_encoding("Identity, gzip") == Codings{ContentCoding::gzip});
}

TEST_CASE("parse_content_encoding: unknown codings and too many are not decodable", "[content_coding]") {
  for (const char* value : {"compress", "x-compress", "exi", "pack200-gzip", "gzip, compress", "aes128gcm",
                            "gzip;q=1", "gzip br", "gzi", "gzipp", "x-deflate", "brotli", "zst", "*", "\"gzip\"",
                            "gzip\r\n"}) {
    INFO(value);
    CHECK(parse_content_encoding(value) == std::nullopt);
  }
  CHECK(parse_content_encoding(std::string_view("gzip\0", 5)) == std::nullopt);
  CHECK(parse_content_encoding("gzip, gzip, gzip, gzip") == Codings(4, ContentCoding::gzip));
  CHECK(parse_content_encoding("gzip, gzip, gzip, gzip, gzip") == std::nullopt);
  CHECK(parse_content_encoding("gzip, identity, gzip, identity, gzip, gzip") == Codings(4, ContentCoding::gzip));
}

TEST_CASE("names and Accept-Encoding", "[content_coding]") {
  CHECK(to_string(ContentCoding::gzip) == "gzip");
  CHECK(to_string(ContentCoding::deflate) == "deflate");
  CHECK(to_string(ContentCoding::br) == "br");
  CHECK(to_string(ContentCoding::zstd) == "zstd");
  CHECK(accept_encoding() == "gzip, deflate, br, zstd");
  // Every coding offered parses back, in the same order.
  CHECK(parse_content_encoding(accept_encoding()) ==
        Codings{ContentCoding::gzip, ContentCoding::deflate, ContentCoding::br, ContentCoding::zstd});
}

TEST_CASE("normalize_content_encoding: what a result reports as content_encoding", "[content_coding]") {
  CHECK(normalize_content_encoding("gzip") == "gzip");
  CHECK(normalize_content_encoding("GZip") == "gzip");
  CHECK(normalize_content_encoding(" gzip ,\tBR ") == "gzip, br");
  CHECK(normalize_content_encoding("gzip,,br,") == "gzip, br");
  CHECK(normalize_content_encoding("x-gzip") == "x-gzip");  // as sent: the server's own name for it
  CHECK(normalize_content_encoding("Compress") == "compress");  // unknown codings are kept
  CHECK(normalize_content_encoding("identity, zstd") == "zstd");
  // Not encoded at all: nothing to report.
  for (const char* value : {"", " ", ",", "identity", "Identity, ,identity"}) {
    INFO(value);
    CHECK(normalize_content_encoding(value).empty());
  }
}
