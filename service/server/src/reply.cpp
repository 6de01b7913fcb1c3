#include "reply.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>

#include <array>

#include "asyncfetch/wire/fetch_request.hpp"
#include "asyncfetch/wire/reply_head.hpp"

namespace asyncfetch {

namespace net = boost::asio;
namespace http = boost::beast::http;

Reply json_reply(http::status status, std::string body) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Reply error_reply(http::status status, std::string code, std::string message) {
  return json_reply(status, error_body(ApiError{static_cast<int>(status), std::move(code), std::move(message)}));
}

std::string_view to_string(Cut c) noexcept {
  switch (c) {
    case Cut::client_gone: return "client_gone";
    case Cut::write_failed: return "write_failed";
  }
  return "unknown";
}

Cut cut_by(const boost::system::error_code& ec) noexcept {
  namespace error = net::error;
  if (ec == error::broken_pipe || ec == error::connection_reset || ec == error::connection_aborted ||
      ec == error::not_connected || ec == error::eof)
    return Cut::client_gone;
  return Cut::write_failed;
}

// Written synchronously first, as much as the socket takes now: most replies
// fit in an idle socket's send buffer, and that spares the composed async
// write and the loop turn its completion costs; the rest is written
// asynchronously.
runtime::Task<Sent> write_reply(boost::beast::tcp_stream& stream, Reply& r, unsigned version, bool keep_alive,
                                std::chrono::milliseconds timeout, std::string_view request_id) {
  const std::string head =
      reply_head(r.status, version, r.content_type, r.headers, keep_alive, r.body.size(), request_id);
  const std::array<net::const_buffer, 2> wire{net::buffer(head), net::buffer(r.body)};
  Sent sent{r.status, std::nullopt, keep_alive};
  auto& sock = stream.socket();
  boost::system::error_code ec;
  if (!sock.non_blocking()) sock.non_blocking(true, ec);  // once per socket (an ioctl)
  const std::size_t n = ec ? 0 : net::write(sock, wire, ec);
  if (ec == net::error::would_block || ec == net::error::try_again) {
    boost::beast::buffers_suffix<std::array<net::const_buffer, 2>> rest(wire);
    rest.consume(n);
    stream.expires_after(timeout);
    auto [aec, m] = co_await net::async_write(stream, rest, net::as_tuple(net::use_awaitable));
    ec = aec;
  }
  if (ec) {
    sent.cut = cut_by(ec);
    sent.keep_alive = false;
  }
  co_return sent;
}

}  // namespace asyncfetch
