// CappedBody as the fetcher uses it: a response parser with the parser's own
// body limit off, fed from a buffer the way a socket read does.
#include "capped_body.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace http = boost::beast::http;
using asyncfetch::CappedBody;

namespace {

struct Outcome {
  boost::beast::error_code ec;
  CappedBody::value_type body;
};

// Parses the whole of `wire`, `chunk` bytes at a time at most.
Outcome parse(const std::string& wire, std::uint64_t cap, bool keep, std::size_t chunk = 1 << 20) {
  http::response_parser<CappedBody> p;
  p.body_limit(boost::none);
  p.get().body().cap = cap;
  p.get().body().keep = keep;
  p.eager(true);
  Outcome out;
  std::size_t pos = 0;
  std::string buf;
  while (!p.is_done()) {
    if (pos < wire.size()) {
      const auto k = std::min(chunk, wire.size() - pos);
      buf.append(wire, pos, k);
      pos += k;
    }
    const auto used = p.put(boost::asio::buffer(buf), out.ec);
    buf.erase(0, used);
    if (out.ec == http::error::need_more && pos < wire.size()) continue;
    if (out.ec) break;
  }
  out.body = p.get().body();
  return out;
}

std::string with_length(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("capped body: under the cap, every byte is counted and kept", "[capped_body]") {
  const auto r = parse(with_length("hello world"), 100, true);
  CHECK_FALSE(r.ec);
  CHECK(r.body.received == 11);
  CHECK(r.body.data == "hello world");
  CHECK_FALSE(r.body.truncated);
}

TEST_CASE("capped body: without keep, bytes are counted and not stored", "[capped_body]") {
  const auto r = parse(with_length(std::string(5000, 'x')), 10000, false);
  CHECK_FALSE(r.ec);
  CHECK(r.body.received == 5000);
  CHECK(r.body.data.empty());
}

TEST_CASE("capped body: exactly at the cap is a whole body", "[capped_body]") {
  const auto r = parse(with_length(std::string(1000, 'x')), 1000, true, 7);
  CHECK_FALSE(r.ec);
  CHECK(r.body.received == 1000);
  CHECK(r.body.data.size() == 1000);
  CHECK_FALSE(r.body.truncated);
}

TEST_CASE("capped body: past the cap, body_limit after exactly cap bytes", "[capped_body]") {
  for (std::size_t chunk : {1, 3, 64, 1 << 20}) {
    INFO("chunk " << chunk);
    std::string body;
    for (int i = 0; i < 500; ++i) body += static_cast<char>('a' + i % 26);
    const auto r = parse(with_length(body), 100, true, chunk);
    CHECK(r.ec == http::error::body_limit);
    CHECK(r.body.received == 100);
    CHECK(r.body.data == body.substr(0, 100));
    CHECK(r.body.truncated);
  }
}

TEST_CASE("capped body: a Content-Length over the cap still yields the first cap bytes", "[capped_body]") {
  // The parser's own body_limit would refuse this at the header, with nothing read.
  const auto r = parse(with_length(std::string(5000, 'y')), 1000, false);
  CHECK(r.ec == http::error::body_limit);
  CHECK(r.body.received == 1000);
  CHECK(r.body.truncated);
}

TEST_CASE("capped body: a chunked body is capped across its chunks", "[capped_body]") {
  const std::string wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n";
  auto r = parse(wire, 8, true, 5);
  CHECK(r.ec == http::error::body_limit);
  CHECK(r.body.data == "abcdefgh");
  CHECK(r.body.received == 8);

  r = parse(wire, 12, true, 5);
  CHECK_FALSE(r.ec);
  CHECK(r.body.data == "abcdefghijkl");
  CHECK_FALSE(r.body.truncated);
}
