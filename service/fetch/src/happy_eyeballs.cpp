#include "happy_eyeballs.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>

#include "deadline.hpp"
#include "runtime/create_task.hpp"
#include "runtime/nothrow.hpp"
#include "runtime/wait.hpp"

namespace asyncfetch {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {


// An attempt's outcome and its socket, connected when it won.
struct Attempted {
  ConnectOutcome outcome;
  std::shared_ptr<tcp::socket> sock;
};

// One attempt, on a socket of its own (shared: a cancelled attempt may end
// after connect_first has returned).
runtime::Task<Attempted> attempt(std::shared_ptr<tcp::socket> sock, tcp::endpoint ep,
                                 std::chrono::steady_clock::time_point deadline) {
  Attempted r{{}, sock};
  Deadline guard(co_await net::this_coro::executor, deadline, *sock);
  auto [ec] = co_await sock->async_connect(ep, runtime::nothrow);
  r.outcome.error = ec;
  r.outcome.timed_out = guard.expired();
  if (r.outcome.timed_out && !ec) r.outcome.error = net::error::timed_out;
  co_return r;
}

// One address: nothing to race, no task, and a frame a fifth the size of
// race_attempts' (every fetch of an IP literal or a one-address name waits here).
runtime::Task<ConnectOutcome> connect_one(tcp::socket& out, tcp::endpoint endpoint,
                                          std::chrono::steady_clock::time_point deadline) {
  Deadline guard(co_await net::this_coro::executor, deadline, out);
  auto [ec] = co_await out.async_connect(endpoint, runtime::nothrow);
  co_return ConnectOutcome{ec, guard.expired()};
}

runtime::Task<ConnectOutcome> race_attempts(tcp::socket& out, const std::vector<tcp::endpoint>& endpoints,
                                            std::chrono::milliseconds delay,
                                            std::chrono::steady_clock::time_point deadline) {
  auto ex = co_await net::this_coro::executor;
  // The attempts still running. runtime::wait tells which have ended: an
  // attempt counts as ended only once its task has finished, so none is missed
  // whichever loop thread it ends on.
  std::vector<runtime::TaskHandle<Attempted>> running;
  std::size_t started = 0;
  auto start_next = [&] {
    running.push_back(runtime::create_task(attempt(std::make_shared<tcp::socket>(ex), endpoints[started], deadline)));
    ++started;
  };
  // Losers are cancelled (closing their sockets); they end on their own.
  auto cancel_running = [&] {
    for (auto& t : running) t.cancel();
  };

  ConnectOutcome last;
  start_next();
  try {
    while (!running.empty()) {
      // The next attempt starts after the stagger, or at once when one fails
      // sooner; once all have started, wait for them without a stagger.
      std::optional<std::chrono::steady_clock::duration> stagger;
      if (started < endpoints.size()) stagger = delay;
      // A copy of the handles goes to wait: cancelled here, `running` still
      // names every attempt to cancel.
      auto [ended, rest] = co_await runtime::wait(running, runtime::ReturnWhen::first_completed, stagger);
      running = std::move(rest);
      for (auto& t : ended) {
        Attempted a = co_await t.wait();
        if (!a.outcome.error) {
          cancel_running();
          out = std::move(*a.sock);
          co_return a.outcome;
        }
        last.error = a.outcome.error;
        last.timed_out = last.timed_out || a.outcome.timed_out;
      }
      if (started < endpoints.size()) start_next();
    }
    co_return last;
  } catch (...) {
    cancel_running();
    throw;
  }
}

}  // namespace

runtime::Task<ConnectOutcome> connect_first(tcp::socket& out, const std::vector<tcp::endpoint>& endpoints,
                                            std::chrono::milliseconds delay,
                                            std::chrono::steady_clock::time_point deadline) {
  if (endpoints.size() == 1) return connect_one(out, endpoints.front(), deadline);
  return race_attempts(out, endpoints, delay, deadline);
}

}  // namespace asyncfetch
