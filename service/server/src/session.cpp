#include "session.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "asyncfetch/telemetry/log.hpp"
#include "drain_control.hpp"
#include "reply.hpp"
#include "request_context.hpp"
#include "router.hpp"
#include "runtime/cancellation.hpp"
#include "runtime/nothrow.hpp"

namespace asyncfetch {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

using Parser = http::request_parser<http::string_body>;

// The body nearly always arrives with the header: parse what the buffer
// already holds, sparing an asynchronous read (a composed operation and a
// loop turn) that would find nothing to wait for. A client that waits for
// 100 Continue has sent no body yet: the buffer is empty then.
beast::error_code parse_buffered(Parser& parser, beast::flat_buffer& buffer) {
  parser.eager(true);
  beast::error_code ec;
  while (!parser.is_done() && buffer.size() != 0) {
    const std::size_t n = parser.put(buffer.data(), ec);
    buffer.consume(n);
    if (ec == http::error::need_more) return {};
    if (ec || n == 0) break;
  }
  return ec;
}

bool expects_continue(const Request& head) {
  const auto expect = head[http::field::expect];
  return beast::iequals(std::string_view(expect.data(), expect.size()), "100-continue");
}

runtime::Task<bool> send_continue(beast::tcp_stream& stream, unsigned version) {
  http::response<http::empty_body> cont{http::status::continue_, version};
  auto [ec, n] = co_await http::async_write(stream, cont, runtime::nothrow);
  co_return !ec;
}

// The answer to a request that could not be read whole, or none when the
// connection just ends (the client closed, the drain woke it, or it idled
// out: Beast has closed the socket then, and there is no 408 to send).
std::optional<Reply> unreadable(const beast::error_code& ec, const Parser& parser, const Config& config) {
  if (ec == http::error::body_limit)
    return error_reply(http::status::payload_too_large, "too_large",
                       "request body over max_request_bytes (" + std::to_string(config.max_request_bytes) + ")");
  if (ec == http::error::header_limit)
    return error_reply(http::status::request_header_fields_too_large, "headers_too_large",
                       "request headers over max_header_bytes");
  if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
      ec == net::error::connection_reset || ec == net::error::eof || !parser.got_some())
    return std::nullopt;
  return error_reply(http::status::bad_request, "bad_request", "malformed HTTP request: " + ec.message());
}

// The request log's account of what was sent: the status (null when nothing
// was) and, when the reply was cut short, why.
void note_sent(nlohmann::json& fields, const Sent& sent) {
  fields["status"] = sent.status ? nlohmann::json(static_cast<int>(*sent.status)) : nlohmann::json(nullptr);
  if (sent.cut) fields["incomplete"] = to_string(*sent.cut);
}

}  // namespace

runtime::Task<void> serve_connection(tcp::socket accepted, runtime::Semaphore::Permit permit, const Config& config,
                                     Router& router, DrainControl& drain) {
  // Re-home the socket on this task's executor, so that Beast's timers run
  // where the session does (a strand of its own when the loop has threads).
  const auto ex = co_await net::this_coro::executor;
  beast::error_code ec;
  const auto protocol = accepted.local_endpoint(ec).protocol();
  tcp::socket sock(ex);
  if (!ec) sock.assign(protocol, accepted.release(ec), ec);
  if (ec) co_return;
  sock.set_option(tcp::no_delay(true), ec);
  beast::tcp_stream stream(std::move(sock));
  DrainControl::Entry entry(drain, ex, stream);

  const auto idle = std::chrono::milliseconds(config.idle_timeout_ms);
  beast::flat_buffer buffer;
  for (;;) {
    entry.busy(false);
    if (drain.draining()) break;
    Parser parser;
    parser.header_limit(config.max_header_bytes);
    parser.body_limit(config.max_request_bytes);
    // The whole request (headers and body) must arrive within the idle timeout: slow clients are cut.
    stream.expires_after(idle);
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, runtime::nothrow);
    entry.busy(true);
    const auto started = Clock::now();
    if (!hec && !parser.is_done()) hec = parse_buffered(parser, buffer);
    if (!hec && !parser.is_done()) {
      if (expects_continue(parser.get()) && !co_await send_continue(stream, parser.get().version())) break;
      auto [bec, bn] = co_await http::async_read(stream, buffer, parser, runtime::nothrow);
      hec = bec;
    }
    if (hec) {
      auto reply = unreadable(hec, parser, config);
      if (!reply) break;
      reply->close = true;
      const RequestContext context = request_context(parser.get());  // the fields read, if any
      const Sent sent = co_await write_reply(stream, *reply, 11, false, idle, context.tag.request_id);
      nlohmann::json fields = {{"error", hec.message()}};
      note_sent(fields, sent);
      log::info("request", log::tagged(context.tag, std::move(fields)));
      break;
    }

    auto req = parser.release();
    const RequestContext context = request_context(req);
    Handled handled;
    try {
      handled = co_await router.route(req, stream, context);
    } catch (const std::exception& e) {
      if (runtime::is_cancellation(e)) throw;
      log::error("handler failed",
                 log::tagged(context.tag, {{"path", std::string(req.target())}, {"what", e.what()}}));
      Reply r = error_reply(http::status::internal_server_error, "internal", "internal error");
      r.close = true;
      handled = std::move(r);
    }
    Sent sent;
    if (auto* reply = std::get_if<Reply>(&handled)) {
      const bool keep = req.keep_alive() && !reply->close && !drain.draining();
      sent = co_await write_reply(stream, *reply, req.version(), keep, idle, context.tag.request_id);
    } else {
      sent = std::get<Sent>(handled);
    }
    if (log::enabled(log::Level::info)) {
      nlohmann::json fields = {{"method", std::string(req.method_string())},
                               {"path", std::string(req.target())},
                               {"ms", std::chrono::duration<double, std::milli>(Clock::now() - started).count()}};
      note_sent(fields, sent);
      log::info("request", log::tagged(context.tag, std::move(fields)));
    }
    if (!sent.keep_alive || drain.draining()) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  (void)permit;
}

}  // namespace asyncfetch
