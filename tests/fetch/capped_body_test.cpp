// CappedBody as the fetcher uses it: a response parser with the parser's own
// body limit off, fed from a buffer the way a socket read does; with decode
// on, bodies of each content coding (made by the libraries' own encoders)
// decoded whole, in pieces, truncated, corrupt, and as bombs.
#include "capped_body.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include <catch2/catch.hpp>

#include <string>

#include "test_encoders.hpp"

namespace http = boost::beast::http;
using asyncfetch::CappedBody;
using asyncfetch::ContentCoding;
using asyncfetch::DecodeStatus;
namespace test = asyncfetch::test;

namespace {

struct Outcome {
  boost::beast::error_code ec;
  CappedBody::value_type body;
};

// Parses the whole of `wire`, `chunk` bytes at a time at most; when all of it
// is in and the parser wants more, the peer has closed (put_eof).
Outcome parse(const std::string& wire, std::uint64_t cap, bool keep, std::size_t chunk = 1 << 20,
              bool decode = false) {
  http::response_parser<CappedBody> p;
  p.body_limit(boost::none);
  p.get().body().cap = cap;
  p.get().body().keep = keep;
  p.get().body().decode = decode;
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
    if (out.ec == http::error::need_more) out.ec = {};
    if (out.ec) break;
    if (!p.is_done() && pos == wire.size() && buf.empty()) {  // everything is in: the peer closes
      p.put_eof(out.ec);
      break;
    }
  }
  out.body = p.get().body();
  return out;
}

Outcome decode(const std::string& wire, std::uint64_t cap, bool keep, std::size_t chunk = 1 << 20) {
  return parse(wire, cap, keep, chunk, true);
}

std::string encoded(const std::string& coding, const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Encoding: " + coding + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
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

TEST_CASE("capped body: each coding is decoded as it arrives, whatever the pieces", "[capped_body][decode]") {
  const std::string text = test::sample_body(100000);
  for (ContentCoding coding : {ContentCoding::gzip, ContentCoding::deflate, ContentCoding::br, ContentCoding::zstd}) {
    const std::string wire = test::encode(coding, text);
    for (std::size_t chunk : {1, 7, 1000, 1 << 20}) {
      INFO(to_string(coding) << ", pieces of " << chunk);
      const auto r = decode(encoded(std::string(to_string(coding)), wire), 1 << 20, true, chunk);
      CHECK_FALSE(r.ec);
      CHECK(r.body.received == text.size());
      CHECK(r.body.wire_bytes == wire.size());
      CHECK(r.body.data == text);
      CHECK_FALSE(r.body.truncated);
      CHECK_FALSE(r.body.bad_encoding);
    }
  }
}

TEST_CASE("capped body: stacked codings, and several Content-Encoding fields, undone in reverse", "[capped_body][decode]") {
  const std::string text = test::sample_body(20000);
  const std::string wire = test::encode(ContentCoding::br, test::encode(ContentCoding::gzip, text));
  for (const char* head : {"Content-Encoding: gzip, br\r\n", "Content-Encoding: gzip\r\nContent-Encoding: br\r\n",
                           "Content-Encoding: GZIP ,identity, Br\r\n"}) {
    INFO(head);
    const std::string response = std::string("HTTP/1.1 200 OK\r\n") + head +
                                 "Content-Length: " + std::to_string(wire.size()) + "\r\n\r\n" + wire;
    const auto r = decode(response, 1 << 20, true, 333);
    CHECK_FALSE(r.ec);
    CHECK(r.body.data == text);
    CHECK(r.body.wire_bytes == wire.size());
  }
}

TEST_CASE("capped body: chunked and read-to-close bodies are decoded too", "[capped_body][decode]") {
  const std::string text = test::sample_body(5000);
  const std::string gz = test::encode(ContentCoding::gzip, text);
  std::string chunked = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < gz.size(); at += 100) {
    const std::string piece = gz.substr(at, 100);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", piece.size());
    chunked += size + ("\r\n" + piece + "\r\n");
  }
  chunked += "0\r\n\r\n";
  auto r = decode(chunked, 1 << 20, true, 61);
  CHECK_FALSE(r.ec);
  CHECK(r.body.data == text);
  CHECK(r.body.wire_bytes == gz.size());  // the payload, not the chunk framing

  r = decode("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n" + gz, 1 << 20, true, 999);
  CHECK_FALSE(r.ec);
  CHECK(r.body.data == text);
}

TEST_CASE("capped body: without decode, or with a coding it does not know, the bytes pass as they came",
          "[capped_body][decode]") {
  const std::string text = test::sample_body(3000);
  const std::string gz = test::encode(ContentCoding::gzip, text);
  // decode off: the gzip bytes themselves.
  auto r = parse(encoded("gzip", gz), 1 << 20, true);
  CHECK_FALSE(r.ec);
  CHECK(r.body.data == gz);
  CHECK(r.body.received == gz.size());
  CHECK(r.body.wire_bytes == gz.size());
  // Unknown codings, alone or in a stack, and more codings than the decoder takes.
  for (const char* coding : {"compress", "gzip, compress", "gzip, gzip, gzip, gzip, gzip"}) {
    INFO(coding);
    r = decode(encoded(coding, gz), 1 << 20, true);
    CHECK_FALSE(r.ec);
    CHECK(r.body.data == gz);
    CHECK(r.body.wire_bytes == r.body.received);
  }
  // identity, or no Content-Encoding at all.
  for (const char* head : {"Content-Encoding: identity\r\n", ""}) {
    r = decode(std::string("HTTP/1.1 200 OK\r\n") + head + "Content-Length: 4\r\n\r\nplan", 1 << 20, true);
    CHECK_FALSE(r.ec);
    CHECK(r.body.data == "plan");
    CHECK(r.body.wire_bytes == 4);
  }
}

TEST_CASE("capped body: the cap bounds the decoded size: a bomb stops at exactly cap bytes", "[capped_body][decode]") {
  // 16 MiB of zeros: 16 KiB of gzip, a few dozen bytes of br or zstd.
  const std::uint64_t cap = 1 << 20;
  for (ContentCoding coding : {ContentCoding::gzip, ContentCoding::br, ContentCoding::zstd}) {
    const std::string bomb = test::encode_zeros(coding, 16ull << 20);
    for (bool keep : {true, false}) {
      INFO(to_string(coding) << " keep " << keep << ", " << bomb.size() << " bytes on the wire");
      const auto r = decode(encoded(std::string(to_string(coding)), bomb), cap, keep, 4096);
      CHECK(r.ec == http::error::body_limit);
      CHECK(r.body.truncated);
      CHECK(r.body.received == cap);
      CHECK(r.body.data.size() == (keep ? cap : 0));
      // gzip's bomb is long enough to see the read stop before its end.
      if (coding == ContentCoding::gzip) CHECK(r.body.wire_bytes < bomb.size() / 2);
      CHECK_FALSE(r.body.bad_encoding);
    }
  }
  // A decoded body of exactly the cap is whole.
  const std::string text(1000, 'z');
  const auto r = decode(encoded("gzip", test::encode(ContentCoding::gzip, text)), 1000, true, 5);
  CHECK_FALSE(r.ec);
  CHECK(r.body.received == 1000);
  CHECK_FALSE(r.body.truncated);
}

TEST_CASE("capped body: an encoded body cut short or corrupt is bad_encoding, with what decoded before",
          "[capped_body][decode]") {
  const std::string text = test::sample_body(50000);
  for (ContentCoding coding : {ContentCoding::gzip, ContentCoding::deflate, ContentCoding::br, ContentCoding::zstd}) {
    const std::string wire = test::encode(coding, text);
    const std::string name(to_string(coding));
    INFO(name);
    // Its framing says it is whole, its coding says otherwise.
    auto r = decode(encoded(name, wire.substr(0, wire.size() - 5)), 1 << 20, true, 512);
    CHECK(r.ec);
    CHECK(r.ec != http::error::body_limit);
    REQUIRE(r.body.bad_encoding);
    CHECK(*r.body.bad_encoding == DecodeStatus::truncated);
    CHECK(r.body.data == text.substr(0, r.body.data.size()));
    // Bytes that are not the coding at all: corrupt, or (a br stream can
    // read them as a stream that goes on) cut short.
    std::string bad = wire;
    for (std::size_t i = 0; i < 64 && i < bad.size(); ++i) bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    r = decode(encoded(name, bad), 1 << 20, true, 512);
    CHECK(r.ec);
    CHECK(r.ec != http::error::body_limit);
    CHECK(r.body.bad_encoding);
    // Garbage after a whole stream.
    r = decode(encoded(name, wire + "trailing junk"), 1 << 20, true, 512);
    CHECK(r.ec);
    REQUIRE(r.body.bad_encoding);
    CHECK(*r.body.bad_encoding == DecodeStatus::corrupt);
    CHECK(r.body.data == text);
  }
}

TEST_CASE("capped body: an empty encoded body, and a HEAD reply, are whole", "[capped_body][decode]") {
  auto r = decode("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n", 100, true);
  CHECK_FALSE(r.ec);
  CHECK(r.body.received == 0);
  CHECK_FALSE(r.body.bad_encoding);

  http::response_parser<CappedBody> p;
  p.body_limit(boost::none);
  p.get().body().cap = 100;
  p.get().body().decode = true;
  p.skip(true);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 5000\r\n\r\n";
  boost::beast::error_code ec;
  p.put(boost::asio::buffer(head), ec);
  CHECK_FALSE(ec);
  CHECK(p.is_done());
  CHECK_FALSE(p.get().body().bad_encoding);
}

TEST_CASE("content_encoding_field: several fields are one list", "[capped_body]") {
  http::fields f;
  CHECK(asyncfetch::content_encoding_field(f).empty());
  f.insert(http::field::content_encoding, "gzip");
  f.insert(http::field::content_type, "text/plain");
  f.insert("content-encoding", " br");
  CHECK(asyncfetch::content_encoding_field(f) == "gzip,br");  // Beast trims each value
}
