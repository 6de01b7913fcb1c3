#include "asyncfetch/wire/connect_answer.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include <algorithm>
#include <cstdint>

namespace asyncfetch {

namespace http = boost::beast::http;

ConnectAnswer judge_connect_answer(std::string_view received, bool closed, std::size_t limit) {
  ConnectAnswer a;
  // A fresh parser each time: the whole answer is at most `limit` bytes, and
  // the judgement is a function of the bytes alone.
  http::response_parser<http::empty_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limit, UINT32_MAX)));
  parser.skip(true);
  const std::string_view seen = received.substr(0, limit);
  boost::beast::error_code ec;
  const std::size_t used = seen.empty() ? 0 : parser.put(boost::asio::buffer(seen.data(), seen.size()), ec);
  if (seen.empty() || ec == http::error::need_more) {
    // Beast's header_limit counts the fields without the status line: a
    // head still open at `limit` bytes is over the limit here.
    if (seen.size() >= limit) {
      a.kind = ConnectAnswer::Kind::too_big;
      a.why = boost::beast::error_code(http::error::header_limit).message();
      return a;
    }
    if (!closed) return a;
    // What Beast's reads say of a stream that ends before the head does.
    a.kind = ConnectAnswer::Kind::not_http;
    a.why = boost::beast::error_code(seen.empty() ? http::error::end_of_stream : http::error::partial_message).message();
    return a;
  }
  if (ec) {
    a.kind = ec == http::error::header_limit ? ConnectAnswer::Kind::too_big : ConnectAnswer::Kind::not_http;
    a.why = ec.message();
    return a;
  }
  const auto& res = parser.get();
  // Beast takes any three digits; a status outside 1xx..5xx has no class
  // (RFC 9110 15) and is no answer at all.
  if (res.result_int() < 100 || res.result_int() > 599) {
    a.kind = ConnectAnswer::Kind::not_http;
    a.why = boost::beast::error_code(http::error::bad_status).message();
    return a;
  }
  a.status = res.result_int();
  a.head_bytes = used;
  if (a.status < 200 || a.status > 299) {
    a.kind = ConnectAnswer::Kind::refused;
    a.reason = std::string(res.reason());
    return a;
  }
  // The target's server speaks only after the client's ClientHello: bytes
  // here are not the target's, and TLS would read them as its own.
  a.kind = used < received.size() ? ConnectAnswer::Kind::data_after_answer : ConnectAnswer::Kind::tunnel_open;
  return a;
}

std::string_view to_string(ConnectAnswer::Kind kind) {
  using Kind = ConnectAnswer::Kind;  // local: the unity build shares this file's scope
  switch (kind) {
    case Kind::need_more: return "need_more";
    case Kind::tunnel_open: return "tunnel_open";
    case Kind::refused: return "refused";
    case Kind::not_http: return "not_http";
    case Kind::data_after_answer: return "data_after_answer";
    case Kind::too_big: return "too_big";
  }
  return "unknown";
}

}  // namespace asyncfetch
