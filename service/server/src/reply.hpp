// What a handler answers a request with, what was sent for it in the end, and
// how a whole reply is written.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/task.hpp"

namespace asyncfetch {

using Request = boost::beast::http::request<boost::beast::http::string_body>;

// A reply for the session to write.
struct Reply {
  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string body;
  const char* content_type = "application/json";  // a literal: no string to allocate per reply
  std::vector<std::pair<boost::beast::http::field, std::string>> headers;
  bool close = false;  // close the connection after this reply
};

Reply json_reply(boost::beast::http::status status, std::string body);
// {"error":{"code":...,"message":...}}
Reply error_reply(boost::beast::http::status status, std::string code, std::string message);

// Why a reply stopped short of its end.
enum class Cut {
  client_gone,   // the client went away
  write_failed,  // a write failed or timed out
};
std::string_view to_string(Cut c) noexcept;  // "client_gone", "write_failed"
// The Cut a failed write means: client_gone when the client closed or reset
// the connection, write_failed otherwise (a client that does not read, for one).
Cut cut_by(const boost::system::error_code& ec) noexcept;

// What was sent for one request: what the request log reports, and whether
// the connection may serve another request.
struct Sent {
  std::optional<boost::beast::http::status> status;  // of the reply begun; none when nothing was sent
  std::optional<Cut> cut;                            // none when the reply was written whole
  bool keep_alive = false;
};

// What a handler came to: a Reply for the session to write, or what the
// handler sent itself (a stream, or nothing to a client that left).
using Handled = std::variant<Reply, Sent>;

// Writes `r` (its body is taken, not copied: a /fetch answer can be
// megabytes) with a head from reply_head() that carries `request_id` as
// X-Request-Id, each write within `timeout`.
runtime::Task<Sent> write_reply(boost::beast::tcp_stream& stream, Reply& r, unsigned version, bool keep_alive,
                                std::chrono::milliseconds timeout, std::string_view request_id);

}  // namespace asyncfetch
