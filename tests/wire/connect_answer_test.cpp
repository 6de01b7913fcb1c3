// A proxy's answer to CONNECT judged from the bytes received: read on, the
// tunnel open, a refusal with its status and reason, not HTTP, bytes after a
// 2xx answer, an answer over the limit, and a proxy that closes early.
#include "asyncfetch/wire/connect_answer.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace asyncfetch;
using Kind = ConnectAnswer::Kind;

TEST_CASE("connect answer: a 2xx answer opens the tunnel, whatever its reason and fields") {
  for (std::string text : {"HTTP/1.1 200 Connection established\r\n\r\n", "HTTP/1.0 200 OK\r\nVia: 1.1 squid\r\n\r\n",
                           "HTTP/1.1 204 \r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"}) {
    INFO(text);
    const auto a = judge_connect_answer(text, false);
    CHECK(a.kind == Kind::tunnel_open);
    CHECK(a.head_bytes == text.size());
    CHECK(a.status / 100 == 2);
    // The proxy closing after it changes nothing: the TLS handshake finds out.
    CHECK(judge_connect_answer(text, true).kind == Kind::tunnel_open);
  }
}

TEST_CASE("connect answer: every prefix of an answer asks for more") {
  const std::string text = "HTTP/1.1 200 Connection established\r\nProxy-Agent: test\r\n\r\n";
  for (std::size_t n = 0; n < text.size(); ++n) {
    INFO(n);
    CHECK(judge_connect_answer(text.substr(0, n), false).kind == Kind::need_more);
  }
}

TEST_CASE("connect answer: a non-2xx answer is a refusal with its status and reason, body or not") {
  const auto forbidden = judge_connect_answer("HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!", false);
  CHECK(forbidden.kind == Kind::refused);
  CHECK(forbidden.status == 403);
  CHECK(forbidden.reason == "Forbidden");
  CHECK(forbidden.head_bytes == 45);
  const auto auth = judge_connect_answer(
      "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n", true);
  CHECK(auth.kind == Kind::refused);
  CHECK(auth.status == 407);
  CHECK(auth.reason == "Proxy Authentication Required");
  // 1xx and 3xx are not a tunnel either.
  CHECK(judge_connect_answer("HTTP/1.1 100 Continue\r\n\r\n", false).kind == Kind::refused);
  CHECK(judge_connect_answer("HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n", false).status == 302);
  // Without a reason phrase, Beast's standard one.
  CHECK(judge_connect_answer("HTTP/1.1 502 \r\n\r\n", false).reason == "Bad Gateway");
}

TEST_CASE("connect answer: bytes that are not an HTTP response, with the parser's account") {
  const auto ssh = judge_connect_answer("SSH-2.0-OpenSSH_9.2\r\n", false);
  CHECK(ssh.kind == Kind::not_http);
  CHECK(ssh.why == "bad version");
  // A TLS record: Beast reads on until it holds the 13 bytes of a shortest
  // status line, then refuses it.
  const std::string tls("\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03\x5e\x01\x9a", 14);
  CHECK(judge_connect_answer(tls.substr(0, 6), false).kind == Kind::need_more);
  CHECK(judge_connect_answer(tls, false).kind == Kind::not_http);
  CHECK(judge_connect_answer("HTTP/1.1 2000 OK\r\n\r\n", false).kind == Kind::not_http);
  CHECK(judge_connect_answer("HTTP/1.1 200 OK\r\nbad field\r\n\r\n", false).kind == Kind::not_http);
  // Three digits Beast takes, but no status class: 0xx and 6xx..9xx (found by connect_answer_fuzz).
  for (const char* text : {"HTTP/1.1 043 Forbidden\r\nContent-Length: 5\r\n\r\nnope!", "HTTP/1.1 000 \r\n\r\n",
                           "HTTP/1.1 600 Odd\r\n\r\n", "HTTP/1.1 999 \r\n\r\n"}) {
    INFO(text);
    const auto a = judge_connect_answer(text, false);
    CHECK(a.kind == Kind::not_http);
    CHECK(a.why == "bad status");
    CHECK(a.status == 0);
  }
}

TEST_CASE("connect answer: a proxy that closes before its head ends") {
  const auto nothing = judge_connect_answer("", true);
  CHECK(nothing.kind == Kind::not_http);
  CHECK(nothing.why == "end of stream");
  const auto partial = judge_connect_answer("HTTP/1.1 200 Conn", true);
  CHECK(partial.kind == Kind::not_http);
  CHECK(partial.why == "partial message");
}

TEST_CASE("connect answer: bytes after a 2xx answer are not the target's") {
  const std::string head = "HTTP/1.1 200 Connection established\r\n\r\n";
  const auto a = judge_connect_answer(head + "\x16\x03\x03", false);
  CHECK(a.kind == Kind::data_after_answer);
  CHECK(a.status == 200);
  CHECK(a.head_bytes == head.size());
}

TEST_CASE("connect answer: no end of head within the limit is too big") {
  const std::string big = "HTTP/1.1 200 OK\r\nX-Pad: " + std::string(max_connect_answer_bytes, 'a');
  const auto a = judge_connect_answer(big, false);
  CHECK(a.kind == Kind::too_big);
  CHECK(a.why == "header limit exceeded");
  // Under the limit it is still being read; with a smaller limit it is over.
  const std::string part = big.substr(0, 1000);
  CHECK(judge_connect_answer(part, false).kind == Kind::need_more);
  CHECK(judge_connect_answer(part, false, 512).kind == Kind::too_big);
  // A head that fits is judged, whatever follows past the limit.
  const std::string head = "HTTP/1.1 200 OK\r\n\r\n";
  CHECK(judge_connect_answer(head + std::string(100, 'x'), false, head.size()).kind == Kind::data_after_answer);
}

TEST_CASE("connect answer: each outcome has a name") {
  CHECK(to_string(Kind::need_more) == "need_more");
  CHECK(to_string(Kind::tunnel_open) == "tunnel_open");
  CHECK(to_string(Kind::refused) == "refused");
  CHECK(to_string(Kind::not_http) == "not_http");
  CHECK(to_string(Kind::data_after_answer) == "data_after_answer");
  CHECK(to_string(Kind::too_big) == "too_big");
}
