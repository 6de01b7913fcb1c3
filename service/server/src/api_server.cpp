#include "asyncfetch/server/api_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <unordered_map>

#include "asyncfetch/telemetry/log.hpp"
#include "asyncfetch/wire/fetch_request.hpp"
#include "asyncfetch/wire/reply_head.hpp"
#include "asyncfetch/wire/result_json.hpp"
#include "disconnect_watch.hpp"
#include "runtime/cancellation.hpp"
#include "runtime/create_task.hpp"
#include "runtime/queue.hpp"
#include "runtime/semaphore.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task_group.hpp"
#include "runtime/timeout.hpp"

namespace asyncfetch {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using beast::error_code;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

// What one request's handler decided to send.
struct Reply {
  http::status status = http::status::ok;
  std::string body;
  const char* content_type = "application/json";  // a literal: no string to allocate per reply
  std::vector<std::pair<http::field, std::string>> headers;
  bool close = false;  // close the connection after this reply
};

Reply json_reply(http::status s, std::string body) {
  Reply r;
  r.status = s;
  r.body = std::move(body);
  return r;
}

Reply error_reply(http::status s, std::string code, std::string message) {
  return json_reply(s, error_body(ApiError{static_cast<int>(s), std::move(code), std::move(message)}));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() != b.size();
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool iequals(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

// The state of one /fetch request shared with its fan-out task, which may
// outlive the session's frame when the client leaves mid-way.
struct FetchContext {
  FetchJob job;
  std::vector<std::optional<FetchResult>> results;  // by URL index (non-streaming)
  // NDJSON lines, as they complete; only when streaming (a Queue's deque
  // allocates even while empty).
  std::unique_ptr<runtime::Queue<std::string>> lines;
};

runtime::Task<FanOutSummary> run_fan_out(FanOut& fan_out, std::shared_ptr<FetchContext> ctx) {
  // Named, not written inside the co_await: GCC 12 destroys a capturing lambda
  // temporary of a co_await expression twice.
  FanOut::OnResult on_result = [ctx](std::size_t i, FetchResult&& r) {
    if (ctx->lines) {
      std::string line;
      append_result(line, r, ctx->job.include_body);
      line += '\n';
      ctx->lines->try_put(std::move(line));  // unbounded: never refuses
    } else {
      ctx->results[i] = std::move(r);
    }
  };
  co_return co_await fan_out.run(ctx->job, std::move(on_result));
}

// Per-connection state the drain looks at; `busy` and `stream` are touched
// only on the session's own executor.
struct SessionCtl {
  net::any_io_executor ex;
  beast::tcp_stream* stream = nullptr;
  bool busy = false;
};

}  // namespace

struct ApiServer::Impl {
  Impl(const Config& c, FanOut& f, Stats& s, runtime::Event& r)
      : config(c), fan_out(f), stats(s), ready(r), connections(c.max_connections),
        sessions(runtime::TaskGroup::OnFailure::keep_going) {}

  const Config& config;
  FanOut& fan_out;
  Stats& stats;
  runtime::Event& ready;
  std::unique_ptr<tcp::acceptor> acceptor;
  runtime::Semaphore connections;
  runtime::TaskGroup sessions;
  std::atomic<bool> draining{false};
  std::mutex ctl_mutex;
  std::unordered_map<SessionCtl*, std::shared_ptr<SessionCtl>> ctls;

  runtime::Task<void> session(tcp::socket accepted, runtime::Semaphore::Permit permit);
  runtime::Task<Reply> route(http::request<http::string_body>& req, beast::tcp_stream& stream, bool& streamed);
  runtime::Task<Reply> handle_fetch(http::request<http::string_body>& req, beast::tcp_stream& stream, bool& streamed);
  bool authorized(const http::request<http::string_body>& req) const;
};

ApiServer::ApiServer(const Config& config, FanOut& fan_out, Stats& stats, runtime::Event& ready)
    : impl_(std::make_unique<Impl>(config, fan_out, stats, ready)) {}
ApiServer::~ApiServer() = default;

bool ApiServer::draining() const noexcept { return impl_->draining; }

std::uint16_t ApiServer::listen(const runtime::Executor& ex) {
  auto& cfg = impl_->config;
  error_code ec;
  auto addr = net::ip::make_address(cfg.listen_address, ec);
  if (ec) throw std::runtime_error("listen_address \"" + cfg.listen_address + "\" is not an IP address");
  tcp::endpoint ep(addr, cfg.port);
  auto where = cfg.listen_address + ":" + std::to_string(cfg.port);
  auto a = std::make_unique<tcp::acceptor>(ex);
  a->open(ep.protocol(), ec);
  if (!ec) a->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a->bind(ep, ec);
  if (!ec) a->listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
  auto port = a->local_endpoint().port();
  impl_->acceptor = std::move(a);
  return port;
}

runtime::Task<void> ApiServer::serve() {
  auto& im = *impl_;
  try {
    for (;;) {
      auto permit = co_await im.connections.acquire();  // max_connections: excess waits in the backlog
      auto [ec, sock] = co_await im.acceptor->async_accept(use_nothrow);
      if (ec == net::error::operation_aborted) break;
      if (ec) {
        // EMFILE and friends: back off briefly instead of spinning.
        log::warn("accept failed", {{"error", ec.message()}});
        co_await runtime::sleep(std::chrono::milliseconds(50));
        continue;
      }
      im.sessions.create_task(im.session(std::move(sock), std::move(permit)));
    }
  } catch (const std::exception& e) {
    if (!runtime::is_cancellation(e)) throw;
  }
  error_code ignored;
  im.acceptor->close(ignored);
}

runtime::Task<void> ApiServer::drain(std::chrono::milliseconds limit) {
  auto& im = *impl_;
  im.draining = true;
  {
    // Wake the idle keep-alive connections so that they close now.
    std::lock_guard lk(im.ctl_mutex);
    for (auto& [_, ctl] : im.ctls) {
      net::post(ctl->ex, [ctl = ctl] {
        if (ctl->stream && !ctl->busy) ctl->stream->cancel();
      });
    }
  }
  try {
    co_await runtime::wait_for(im.sessions.join(), limit);
  } catch (const runtime::TimeoutError&) {
    log::warn("drain timeout: connections still busy were cut", {{"drain_timeout_ms", limit.count()}});
  }
}

bool ApiServer::Impl::authorized(const http::request<http::string_body>& req) const {
  if (config.auth_token.empty()) return true;
  auto it = req.find(http::field::authorization);
  if (it == req.end()) return false;
  std::string_view v(it->value().data(), it->value().size());
  constexpr std::string_view prefix = "Bearer ";
  if (v.size() < prefix.size() || !iequals(v.substr(0, prefix.size()), prefix)) return false;
  return constant_time_equal(v.substr(prefix.size()), config.auth_token);
}

namespace {

// Takes the reply's body (a /fetch answer can be megabytes: not copied).
// Written synchronously first, as much as the socket takes now: most replies
// fit in an idle socket's send buffer, and that spares the composed async
// write and the loop turn its completion costs; the rest is written
// asynchronously. The head is formatted directly (reply_head.hpp).
runtime::Task<bool> write_reply(beast::tcp_stream& stream, Reply& r, unsigned version, bool keep_alive,
                                std::chrono::milliseconds timeout) {
  const std::string head = reply_head(r.status, version, r.content_type, r.headers, keep_alive, r.body.size());
  const std::array<net::const_buffer, 2> wire{net::buffer(head), net::buffer(r.body)};
  auto& sock = stream.socket();
  error_code ec;
  if (!sock.non_blocking()) sock.non_blocking(true, ec);  // once per socket (an ioctl)
  const std::size_t n = ec ? 0 : net::write(sock, wire, ec);
  if (!ec) co_return true;
  if (ec != net::error::would_block && ec != net::error::try_again) co_return false;
  beast::buffers_suffix<std::array<net::const_buffer, 2>> rest(wire);
  rest.consume(n);
  stream.expires_after(timeout);
  auto [aec, m] = co_await net::async_write(stream, rest, use_nothrow);
  co_return !aec;
}

// The body nearly always arrives with the header: parse what the buffer
// already holds, sparing an asynchronous read (a composed operation and a
// loop turn) that would find nothing to wait for. A client that waits for
// 100 Continue has sent no body yet: the buffer is empty then.
error_code parse_buffered(http::request_parser<http::string_body>& parser, beast::flat_buffer& buffer) {
  parser.eager(true);
  error_code ec;
  while (!parser.is_done() && buffer.size() != 0) {
    const std::size_t n = parser.put(buffer.data(), ec);
    buffer.consume(n);
    if (ec == http::error::need_more) return {};
    if (ec || n == 0) break;
  }
  return ec;
}

// The client left before its answer: its fetches were cancelled, nothing is
// written and the connection closes.
Reply client_gone(std::size_t urls, bool& streamed) {
  log::info("client went away; its fetches were cancelled", {{"urls", urls}});
  streamed = true;
  Reply r;
  r.close = true;
  return r;
}

}  // namespace

runtime::Task<Reply> ApiServer::Impl::handle_fetch(http::request<http::string_body>& req, beast::tcp_stream& stream,
                                                   bool& streamed) {
  if (!ready.is_set()) {
    try {
      co_await runtime::wait_for(ready.wait(), std::chrono::milliseconds(config.ready_wait_ms));
    } catch (const runtime::TimeoutError&) {
      auto r = error_reply(http::status::service_unavailable, "not_ready", "the service is starting; retry shortly");
      r.headers.emplace_back(http::field::retry_after, "1");
      co_return r;
    }
  }
  if (draining) {
    auto r = error_reply(http::status::service_unavailable, "draining", "the service is shutting down");
    r.headers.emplace_back(http::field::retry_after, "1");
    r.close = true;
    co_return r;
  }
  auto parsed = parse_fetch_request(req.body(), config);
  if (auto* e = std::get_if<ApiError>(&parsed)) co_return json_reply(static_cast<http::status>(e->status), error_body(*e));

  auto ctx = std::make_shared<FetchContext>();
  ctx->job = std::move(std::get<FetchJob>(parsed));
  auto ticket = fan_out.admit(ctx->job.urls.size());
  if (!ticket) {
    stats.request_rejected();
    auto r = error_reply(http::status::too_many_requests, "overloaded",
                         "too many fetches waiting service-wide (max_queue); retry later");
    r.headers.emplace_back(http::field::retry_after, "1");
    co_return r;
  }
  stats.request_started();

  if (auto it = req.find(http::field::accept);
      it != req.end() && std::string_view(it->value().data(), it->value().size()).find("application/x-ndjson") !=
                             std::string_view::npos) {
    ctx->lines = std::make_unique<runtime::Queue<std::string>>();
  } else {
    ctx->results.resize(ctx->job.urls.size());
  }

  // The fan-out is a task of its own so that the client going away can cancel
  // it (returning its permits) while this session waits for it.
  auto fan = runtime::create_task(run_fan_out(fan_out, ctx));
  if (!ctx->lines) {
    std::optional<FanOutSummary> summary;
    bool gone = false;
    {
      DisconnectWatch watch(stream.socket(), [fan] { fan.cancel(); });
      try {
        summary = co_await fan.wait();  // when it throws, the task has finished all the same
      } catch (const std::exception& e) {
        if (!runtime::is_cancellation(e) || !watch.gone()) throw;
      }
      gone = watch.gone();
    }
    ticket.reset();  // the fetches are done: give back their admission share before answering
    if (gone) co_return client_gone(ctx->job.urls.size(), streamed);
    // The session writes it, like every other reply.
    co_return json_reply(http::status::ok, fetch_response(ctx->job.urls, ctx->results, *summary, ctx->job.include_body));
  }

  // NDJSON: lines are written as the fetches complete. Leaving early (the
  // client gone, a failed write, this session cancelled) cancels the fan-out.
  struct CancelOnExit {
    runtime::TaskHandle<FanOutSummary>& h;
    ~CancelOnExit() {
      if (!h.done()) h.cancel();
    }
  } cancel_on_exit{fan};
  // An empty line wakes the writer below when the client is gone.
  DisconnectWatch watch(stream.socket(), [fan, ctx] {
    fan.cancel();
    ctx->lines->try_put({});
  });
  streamed = true;  // the reply is written here
  const auto write_timeout = std::chrono::milliseconds(config.idle_timeout_ms);
  Reply done;
  done.close = true;  // unless the whole stream is written
  http::response<http::empty_body> head{http::status::ok, req.version()};
  head.set(http::field::server, "asyncfetch");
  head.set(http::field::content_type, "application/x-ndjson");
  head.keep_alive(req.keep_alive());
  head.chunked(true);
  http::response_serializer<http::empty_body> sr{head};
  stream.expires_after(write_timeout);
  if (auto [ec, n] = co_await http::async_write_header(stream, sr, use_nothrow); ec) co_return done;
  for (std::size_t i = 0; i < ctx->job.urls.size(); ++i) {
    auto line = co_await ctx->lines->get();
    if (line.empty()) co_return client_gone(ctx->job.urls.size(), streamed);
    stream.expires_after(write_timeout);
    if (auto [ec, n] = co_await net::async_write(stream, http::make_chunk(net::buffer(line)), use_nothrow); ec)
      co_return done;
  }
  std::optional<FanOutSummary> summary;
  try {
    summary = co_await fan.wait();
  } catch (const std::exception& e) {
    if (!runtime::is_cancellation(e) || !watch.gone()) throw;
  }
  if (!summary) co_return client_gone(ctx->job.urls.size(), streamed);
  ticket.reset();
  std::string last = "{\"summary\":";
  append_summary(last, *summary);
  last += "}\n";
  stream.expires_after(write_timeout);
  if (auto [ec, n] = co_await net::async_write(stream, http::make_chunk(net::buffer(last)), use_nothrow); ec)
    co_return done;
  auto [ec, n] = co_await net::async_write(stream, http::make_chunk_last(), use_nothrow);
  done.close = bool(ec) || watch.gone();
  co_return done;
}

runtime::Task<Reply> ApiServer::Impl::route(http::request<http::string_body>& req, beast::tcp_stream& stream,
                                            bool& streamed) {
  std::string_view target(req.target().data(), req.target().size());
  std::string_view path = target.substr(0, target.find('?'));
  const auto method = req.method();
  auto only = [&](http::verb allowed, const char* allow) -> std::optional<Reply> {
    if (method == allowed || (allowed == http::verb::get && method == http::verb::head)) return std::nullopt;
    auto r = error_reply(http::status::method_not_allowed, "method_not_allowed",
                         std::string(req.method_string()) + " is not allowed on " + std::string(path));
    r.headers.emplace_back(http::field::allow, allow);
    return r;
  };
  auto unauthorized = [] {
    auto r = error_reply(http::status::unauthorized, "unauthorized", "missing or wrong bearer token");
    r.headers.emplace_back(http::field::www_authenticate, "Bearer");
    return r;
  };

  if (path == "/healthz") {
    if (auto r = only(http::verb::get, "GET, HEAD")) co_return *r;
    co_return json_reply(http::status::ok, "{\"status\":\"ok\"}\n");
  }
  if (path == "/readyz") {
    if (auto r = only(http::verb::get, "GET, HEAD")) co_return *r;
    bool ok = ready.is_set() && !draining;
    co_return json_reply(ok ? http::status::ok : http::status::service_unavailable,
                         ok ? "{\"ready\":true}\n" : "{\"ready\":false}\n");
  }
  if (path == "/stats" || path == "/metrics") {
    if (auto r = only(http::verb::get, "GET, HEAD")) co_return *r;
    if (!authorized(req)) co_return unauthorized();
    auto snap = co_await stats.snapshot();
    if (path == "/stats") co_return json_reply(http::status::ok, Stats::to_json(snap));
    Reply r = json_reply(http::status::ok, Stats::to_prometheus(snap));
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    co_return r;
  }
  if (path == "/fetch") {
    if (auto r = only(http::verb::post, "POST")) co_return *r;
    if (!authorized(req)) co_return unauthorized();
    co_return co_await handle_fetch(req, stream, streamed);
  }
  co_return error_reply(http::status::not_found, "not_found", "no such endpoint: " + std::string(path));
}

runtime::Task<void> ApiServer::Impl::session(tcp::socket accepted, runtime::Semaphore::Permit permit) {
  // Re-home the socket on this task's executor, so that Beast's timers run
  // where the session does (a strand of its own when the loop has threads).
  auto ex = co_await net::this_coro::executor;
  error_code ec;
  const auto protocol = accepted.local_endpoint(ec).protocol();
  tcp::socket sock(ex);
  if (!ec) sock.assign(protocol, accepted.release(ec), ec);
  if (ec) co_return;
  sock.set_option(tcp::no_delay(true), ec);
  beast::tcp_stream stream(std::move(sock));

  auto ctl = std::make_shared<SessionCtl>();
  ctl->ex = ex;
  ctl->stream = &stream;
  {
    std::lock_guard lk(ctl_mutex);
    ctls.emplace(ctl.get(), ctl);
  }
  struct Unregister {
    Impl& im;
    std::shared_ptr<SessionCtl> ctl;
    ~Unregister() {
      ctl->stream = nullptr;  // on our executor, like every other touch
      std::lock_guard lk(im.ctl_mutex);
      im.ctls.erase(ctl.get());
    }
  } unregister{*this, ctl};

  const auto idle = std::chrono::milliseconds(config.idle_timeout_ms);
  beast::flat_buffer buffer;
  for (;;) {
    ctl->busy = false;
    if (draining) break;
    http::request_parser<http::string_body> parser;
    parser.header_limit(config.max_header_bytes);
    parser.body_limit(config.max_request_bytes);
    // The whole request (headers and body) must arrive within the idle timeout: slow clients are cut.
    stream.expires_after(idle);
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, use_nothrow);
    ctl->busy = true;
    const auto started = Clock::now();
    std::optional<Reply> early;
    if (!hec && !parser.is_done()) hec = parse_buffered(parser, buffer);
    if (!hec && !parser.is_done()) {
      auto expect = parser.get()[http::field::expect];
      if (iequals(std::string_view(expect.data(), expect.size()), "100-continue")) {
        http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
        auto [cec, cn] = co_await http::async_write(stream, cont, use_nothrow);
        if (cec) break;
      }
      auto [bec, bn] = co_await http::async_read(stream, buffer, parser, use_nothrow);
      hec = bec;
    }
    if (hec) {
      if (hec == http::error::body_limit) {
        early = error_reply(http::status::payload_too_large, "too_large",
                            "request body over max_request_bytes (" + std::to_string(config.max_request_bytes) + ")");
      } else if (hec == http::error::header_limit) {
        early = error_reply(http::status::request_header_fields_too_large, "headers_too_large",
                            "request headers over max_header_bytes");
      } else if (hec == beast::error::timeout) {
        // Idle keep-alive connection or slow client: Beast has already closed
        // the socket, so there is no 408 to send.
        break;
      } else if (hec == http::error::end_of_stream || hec == net::error::operation_aborted ||
                 hec == net::error::connection_reset || hec == net::error::eof || !parser.got_some()) {
        break;  // the client closed, or the drain woke us
      } else {
        early = error_reply(http::status::bad_request, "bad_request", "malformed HTTP request: " + hec.message());
      }
      early->close = true;
      log::info("request", {{"status", static_cast<int>(early->status)}, {"error", hec.message()}});
      co_await write_reply(stream, *early, 11, false, idle);
      break;
    }

    auto req = parser.release();
    bool streamed = false;
    Reply reply;
    try {
      reply = co_await route(req, stream, streamed);
    } catch (const std::exception& e) {
      if (runtime::is_cancellation(e)) throw;
      log::error("handler failed", {{"path", std::string(req.target())}, {"what", e.what()}});
      reply = error_reply(http::status::internal_server_error, "internal", "internal error");
      reply.close = true;
    }
    const bool keep = req.keep_alive() && !reply.close && !draining;
    bool ok = true;
    if (!streamed) ok = co_await write_reply(stream, reply, req.version(), keep, idle);
    if (log::enabled(log::Level::info)) {
      log::info("request", {{"method", std::string(req.method_string())},
                            {"path", std::string(req.target())},
                            {"status", streamed ? 200 : static_cast<int>(reply.status)},
                            {"ms", std::chrono::duration<double, std::milli>(Clock::now() - started).count()}});
    }
    if (!ok || !keep || (streamed && reply.close)) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  (void)permit;
}

}  // namespace asyncfetch
