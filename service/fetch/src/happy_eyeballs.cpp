#include "happy_eyeballs.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

#include "deadline.hpp"
#include "runtime/create_task.hpp"
#include "runtime/event.hpp"
#include "runtime/timeout.hpp"

namespace asyncfetch {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);

// One attempt, on a socket of its own (shared: a cancelled attempt may end
// after connect_first has returned), telling `finished` when it is over.
runtime::Task<ConnectOutcome> attempt(std::shared_ptr<tcp::socket> sock, tcp::endpoint ep,
                                      std::chrono::steady_clock::time_point deadline,
                                      std::shared_ptr<runtime::Event> finished) {
  ConnectOutcome r;
  {
    Deadline guard(co_await net::this_coro::executor, deadline, *sock);
    auto [ec] = co_await sock->async_connect(ep, use_nothrow);
    r.error = ec;
    r.timed_out = guard.expired();
    if (r.timed_out && !ec) r.error = net::error::timed_out;
  }
  finished->set();
  co_return r;
}

}  // namespace

runtime::Task<ConnectOutcome> connect_first(tcp::socket& out, const std::vector<tcp::endpoint>& endpoints,
                                            std::chrono::milliseconds delay,
                                            std::chrono::steady_clock::time_point deadline) {
  if (endpoints.size() == 1) {  // nothing to race: no task, no event
    Deadline guard(co_await net::this_coro::executor, deadline, out);
    auto [ec] = co_await out.async_connect(endpoints.front(), use_nothrow);
    co_return ConnectOutcome{ec, guard.expired()};
  }

  auto ex = co_await net::this_coro::executor;
  auto finished = std::make_shared<runtime::Event>();
  struct Running {
    std::shared_ptr<tcp::socket> sock;
    runtime::TaskHandle<ConnectOutcome> task;
    bool over = false;
  };
  std::vector<Running> attempts;
  attempts.reserve(endpoints.size());
  auto start_next = [&] {
    auto sock = std::make_shared<tcp::socket>(ex);
    auto task = runtime::create_task(attempt(sock, endpoints[attempts.size()], deadline, finished));
    attempts.push_back({std::move(sock), std::move(task)});
  };
  // Losers are cancelled (closing their sockets); they end on their own.
  auto cancel_rest = [&] {
    for (auto& a : attempts)
      if (!a.over) a.task.cancel();
  };

  ConnectOutcome last;
  start_next();
  try {
    for (;;) {
      // Cleared before looking, so an attempt that ends after the look is not missed.
      finished->clear();
      bool failed_now = false, running = false;
      for (auto& a : attempts) {
        if (a.over) continue;
        if (!a.task.done()) {
          running = true;
          continue;
        }
        a.over = true;
        ConnectOutcome r = co_await a.task.wait();
        if (!r.error) {
          cancel_rest();
          out = std::move(*a.sock);
          co_return r;
        }
        last.error = r.error;
        last.timed_out = last.timed_out || r.timed_out;
        failed_now = true;
      }
      const bool more = attempts.size() < endpoints.size();
      if (!more && !running) co_return last;
      if (more && (failed_now || !running)) {
        start_next();  // the one before failed: no need to wait out the stagger
        continue;
      }
      if (more) {
        try {
          co_await runtime::wait_for(finished->wait(), delay);
        } catch (const runtime::TimeoutError&) {
          start_next();
        }
      } else {
        co_await finished->wait();
      }
    }
  } catch (...) {
    cancel_rest();
    throw;
  }
}

}  // namespace asyncfetch
