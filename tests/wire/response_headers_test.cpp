// Response header fields as include_headers reports them.
#include "asyncfetch/wire/response_headers.hpp"

#include <catch2/catch.hpp>

#include <string>

using asyncfetch::ResponseHeaders;
using asyncfetch::ResponseHeadersBuilder;

TEST_CASE("response headers: names lower-cased, in the order first seen", "[response_headers]") {
  ResponseHeadersBuilder b;
  b.add("Content-Type", "text/plain");
  b.add("X-B", "2");
  b.add("Date", "Tue, 01 Dec 2026 10:00:00 GMT");
  const ResponseHeaders h = b.take();
  CHECK(h == ResponseHeaders{{"content-type", "text/plain"}, {"x-b", "2"}, {"date", "Tue, 01 Dec 2026 10:00:00 GMT"}});
}

TEST_CASE("response headers: a repeated name's values joined with \", \", whatever its case", "[response_headers]") {
  ResponseHeadersBuilder b;
  b.add("Set-Cookie", "a=1");
  b.add("Vary", "Accept");
  b.add("set-cookie", "b=2");
  b.add("SET-COOKIE", "");
  b.add("vary", "Accept-Encoding");
  const ResponseHeaders h = b.take();
  CHECK(h == ResponseHeaders{{"set-cookie", "a=1, b=2, "}, {"vary", "Accept, Accept-Encoding"}});
}

TEST_CASE("response headers: thousands of fields, each name twice", "[response_headers]") {
  // As many tiny fields as a 64 KiB head holds, half of them repeats.
  ResponseHeadersBuilder b;
  for (int i = 0; i < 20000; ++i) b.add("X-" + std::to_string(i % 10000), "v");
  const ResponseHeaders h = b.take();
  REQUIRE(h.size() == 10000);
  CHECK(h.front() == std::pair<std::string, std::string>{"x-0", "v, v"});
  CHECK(h.back() == std::pair<std::string, std::string>{"x-9999", "v, v"});
}
