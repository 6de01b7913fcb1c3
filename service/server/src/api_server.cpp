#include "asyncfetch/server/api_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>
#include <string>

#include "asyncfetch/telemetry/log.hpp"
#include "drain_control.hpp"
#include "fetch_handler.hpp"
#include "router.hpp"
#include "runtime/cancellation.hpp"
#include "runtime/semaphore.hpp"
#include "runtime/sleep.hpp"
#include "runtime/task_group.hpp"
#include "runtime/timeout.hpp"
#include "session.hpp"

namespace asyncfetch {

namespace net = boost::asio;
using tcp = net::ip::tcp;

struct ApiServer::Impl {
  Impl(const Config& c, FanOut& f, Stats& s, runtime::Event& r)
      : config(c),
        fetch(c, f, s, r, drain),
        router(c, s, r, drain, fetch),
        connections(c.max_connections),
        sessions(runtime::TaskGroup::OnFailure::keep_going) {}

  const Config& config;
  DrainControl drain;
  FetchHandler fetch;
  Router router;
  std::unique_ptr<tcp::acceptor> acceptor;
  runtime::Semaphore connections;
  runtime::TaskGroup sessions;
};

ApiServer::ApiServer(const Config& config, FanOut& fan_out, Stats& stats, runtime::Event& ready)
    : impl_(std::make_unique<Impl>(config, fan_out, stats, ready)) {}
ApiServer::~ApiServer() = default;

std::uint16_t ApiServer::listen(const runtime::Executor& ex) {
  const auto& cfg = impl_->config;
  boost::system::error_code ec;
  const auto addr = net::ip::make_address(cfg.listen_address, ec);
  if (ec) throw std::runtime_error("listen_address \"" + cfg.listen_address + "\" is not an IP address");
  const tcp::endpoint ep(addr, cfg.port);
  const auto where = cfg.listen_address + ":" + std::to_string(cfg.port);
  auto a = std::make_unique<tcp::acceptor>(ex);
  a->open(ep.protocol(), ec);
  if (!ec) a->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a->bind(ep, ec);
  if (!ec) a->listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
  const auto port = a->local_endpoint().port();
  impl_->acceptor = std::move(a);
  return port;
}

runtime::Task<void> ApiServer::serve() {
  auto& im = *impl_;
  try {
    for (;;) {
      auto permit = co_await im.connections.acquire();  // max_connections: excess waits in the backlog
      auto [ec, sock] = co_await im.acceptor->async_accept(net::as_tuple(net::use_awaitable));
      if (ec == net::error::operation_aborted) break;
      if (ec) {
        // EMFILE and friends: back off briefly instead of spinning.
        log::warn("accept failed", {{"error", ec.message()}});
        co_await runtime::sleep(std::chrono::milliseconds(50));
        continue;
      }
      im.sessions.create_task(serve_connection(std::move(sock), std::move(permit), im.config, im.router, im.drain));
    }
  } catch (const std::exception& e) {
    if (!runtime::is_cancellation(e)) throw;
  }
  boost::system::error_code ignored;  // closing is all there is to do
  im.acceptor->close(ignored);
}

runtime::Task<void> ApiServer::drain(std::chrono::milliseconds limit) {
  auto& im = *impl_;
  im.drain.begin();
  try {
    co_await runtime::wait_for(im.sessions.join(), limit);
  } catch (const runtime::TimeoutError&) {
    log::warn("drain timeout: connections still busy were cut", {{"drain_timeout_ms", limit.count()}});
  }
}

}  // namespace asyncfetch
