#include "runtime/sleep.hpp"

#include <boost/asio/steady_timer.hpp>

#include "runtime/detail/asio_path.hpp"
#include "runtime/detail/wait_queue.hpp"

namespace runtime {

namespace {

// How a sleep parks (see detail::park_on): the timer's completion resumes
// the coroutine, and a cancellation of the task cancels the timer. Parked
// like the primitives' waits, so that its cancellation throws CancelledError
// with the task's message as theirs does.
struct TimerHook {
  boost::asio::steady_timer& timer;
  detail::Waiter& w;

  // Asio builds the cancellation handler with parenthesised arguments.
  struct CancelTimer {
    CancelTimer(boost::asio::steady_timer* t, detail::Waiter* w) noexcept : t(t), w(w) {}
    boost::asio::steady_timer* t;
    detail::Waiter* w;
    void operator()(boost::asio::cancellation_type) const {
      w->cancelled_by = detail::TaskNode::delivering();
      t->cancel();  // the wait completes with operation_aborted
    }
  };

  bool ready_now() const noexcept { return false; }
  template <class MakeParked>
  bool park(MakeParked&& make) const {
    make(w.parked);
    auto slot = w.parked->slot();
    // The timer's handler and the cancellation handler both run on the
    // task's executor (the timer's), never at the same time.
    timer.async_wait([w = &w](const boost::system::error_code& ec) { w->complete(ec); });
    if (slot.is_connected()) slot.template emplace<CancelTimer>(&timer, &w);
    return true;
  }
};

}  // namespace

Task<void> sleep(std::chrono::steady_clock::duration d) {
  if (d <= d.zero()) {
    co_await detail::yield_op();
    co_return;
  }
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
  detail::Waiter w;
  co_await detail::park_on(TimerHook{timer, w});
  w.check();
}

Task<void> yield() { co_await detail::yield_op(); }

}  // namespace runtime
