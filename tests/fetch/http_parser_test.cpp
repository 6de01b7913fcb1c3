// Beast's response parser as the fetcher drives it, on byte streams found by
// fuzz/http_response_fuzz. The parser is compiled in service/wire/src/beast_impl.cpp.
#include <boost/beast/http.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

namespace http = boost::beast::http;

namespace {

struct Parsed {
  boost::beast::error_code ec;
  bool done = false;
  std::string body;
};

// Feeds `wire` to a response parser `chunk` bytes at a time, keeping what it
// has not consumed, as http::async_read does with a socket that delivers
// small reads.
Parsed trickle(const std::string& wire, std::size_t chunk, bool eager = true) {
  http::response_parser<http::string_body> p;
  p.header_limit(64 * 1024);
  p.body_limit(1024 * 1024);
  p.eager(eager);  // http::async_read sets it
  std::string buf;
  std::size_t pos = 0;
  bool starving = true;  // the parser wants more bytes than it has
  Parsed out;
  while (!p.is_done()) {
    if (starving || buf.empty()) {
      if (pos == wire.size()) {  // the upstream closed: what Beast's read does on eof
        if (p.got_some()) p.put_eof(out.ec);
        else out.ec = http::error::end_of_stream;
        break;
      }
      auto k = std::min(chunk, wire.size() - pos);
      buf.append(wire, pos, k);
      pos += k;
    }
    out.ec = {};
    auto used = p.put(boost::asio::buffer(buf), out.ec);
    buf.erase(0, used);
    if (out.ec && out.ec != http::error::need_more) break;
    starving = out.ec == http::error::need_more || used == 0;
  }
  out.done = p.is_done();
  if (out.done) out.body = p.get().body();
  return out;
}

}  // namespace

// Found by fuzz/http_response_fuzz: an empty chunked body ("0\r\n" first)
// delivered in small reads hit Beast 1.81's `n >= 5` assertion in
// parse_chunk_header, an abort in builds without NDEBUG (Debug, ASan, TSan);
// service/wire/src/beast_impl.cpp lets that one assertion pass.
TEST_CASE("an empty chunked body trickled in small reads parses", "[http_parser]") {
  for (const char* trailer : {"", "X-T: t\r\n"}) {
    const std::string wire =
        std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n") + trailer + "\r\n";
    for (bool eager : {true, false}) {
      for (std::size_t chunk : {1, 2, 3, 4, 5, 64}) {
        INFO("trailer " << trailer << ", eager " << eager << ", chunk " << chunk);
        auto r = trickle(wire, chunk, eager);
        CHECK_FALSE(r.ec);
        CHECK(r.done);
        CHECK(r.body.empty());
      }
    }
  }
  // The fuzzer's input: a bad trailer after the empty chunk is an error, not an abort.
  auto r = trickle(std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nhel0\r\n\r\n;\x04"), 1,
                   false);
  CHECK_FALSE(r.done);
  CHECK(r.ec);
}

TEST_CASE("a chunked response trickled byte by byte parses", "[http_parser]") {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: t\r\n\r\n";
  for (std::size_t chunk : {1, 2, 3, 4, 5, 7, 64}) {
    INFO("chunk " << chunk);
    auto r = trickle(wire, chunk);
    CHECK_FALSE(r.ec);
    CHECK(r.done);
    CHECK(r.body == "hello world");
  }
}
