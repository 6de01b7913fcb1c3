// Deadline: a guard that closes a socket or cancels a lookup when a deadline
// of a fetch passes. (Which deadline each try has: try_deadline in
// retry_policy.hpp.)
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace asyncfetch {

// Runs `on_expiry` when a deadline passes (closing a socket, cancelling a
// lookup), so whatever operation is pending or comes next fails. The timer runs
// on the calling task's executor, as the operations do, so it never races with
// them; a handler already queued when the guard dies finds it inactive.
class Deadline {
 public:
  Deadline(const boost::asio::any_io_executor& ex, std::chrono::steady_clock::time_point at,
           std::function<void()> on_expiry)
      : st_(std::make_shared<State>()), timer_(ex, at) {
    st_->on_expiry = std::move(on_expiry);
    timer_.async_wait([st = st_](boost::system::error_code ec) {
      if (ec || !st->active) return;
      st->expired = true;
      st->on_expiry();
    });
  }
  // Closes `s` when the deadline passes.
  Deadline(const boost::asio::any_io_executor& ex, std::chrono::steady_clock::time_point at,
           boost::asio::ip::tcp::socket& s)
      : Deadline(ex, at, [&s] {
          boost::system::error_code ignored;  // closing is all there is to do; it fails only if closed already
          s.close(ignored);
        }) {}
  ~Deadline() {
    st_->active = false;
    timer_.cancel();
  }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  bool expired() const noexcept { return st_->expired; }

 private:
  struct State {
    bool active = true;
    bool expired = false;
    std::function<void()> on_expiry;
  };
  std::shared_ptr<State> st_;  // shared with the timer's handler, which may run after the guard is gone
  boost::asio::steady_timer timer_;
};

}  // namespace asyncfetch
