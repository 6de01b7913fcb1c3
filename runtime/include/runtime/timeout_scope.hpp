// timeout / timeout_at: asyncio.timeout() and asyncio.timeout_at(). One
// deadline over several awaits, which can be moved while they run.
//
//   auto scope = runtime::timeout(2s);        // async with asyncio.timeout(2) as scope:
//   co_await scope.run(steps(scope));         //     the awaits of steps()
//   ...
//   runtime::Task<void> steps(runtime::Timeout& scope) {
//     co_await first();
//     scope.reschedule(runtime::Timeout::Clock::now() + 1s);   // a new deadline
//     co_await second();
//   }
//
// The scope's body is a Task that run() awaits: it starts at once (no loop
// turn), on the awaiting task's own executor. When the deadline passes while
// the body runs, the body is cancelled (its pending wait throws, its locks and
// permits go back), and once it has finished, run() throws TimeoutError in
// place of the cancellation. A body that finishes anyway (it caught the
// cancellation, say) returns normally; expired() tells that the deadline came.
// Cancelling the task in run() cancels the body as well, and that stays a
// cancellation, never a TimeoutError, even when the deadline has passed too:
// asyncio's rule. The awaiting task itself is never cancelled by the deadline,
// so it goes on normally after catching TimeoutError.
//
// A deadline of std::nullopt is none (asyncio's timeout(None)); reschedule()
// sets or removes one before or during run(). A deadline already past fires
// at the body's first wait. A scope is entered once; reschedule() after the
// deadline has fired or the scope has ended throws std::logic_error (asyncio's
// RuntimeError). A scope belongs to the task that runs it: use it from that
// task and its body (which run on one executor), not from other tasks.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include <boost/asio/this_coro.hpp>

#include "runtime/cancellation.hpp"
#include "runtime/detail/child_run.hpp"
#include "runtime/detail/direct_wait.hpp"
#include "runtime/task.hpp"
#include "runtime/timeout.hpp"

namespace runtime {

class Timeout {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Timeout(std::optional<Clock::time_point> when);
  ~Timeout();
  Timeout(const Timeout&) = delete;
  Timeout& operator=(const Timeout&) = delete;

  // Awaits `body` under the deadline (see above): its value, its exception,
  // or TimeoutError.
  template <detail::TaskValue T>
  Task<T> run(Task<T> body);
  template <class Op>
  Task<typename Op::result_type> run(Wait<Op> w) {
    return run(detail::as_task(std::move(w)));
  }

  std::optional<Clock::time_point> when() const noexcept;
  void reschedule(std::optional<Clock::time_point> when);
  // The deadline passed while the body ran.
  bool expired() const noexcept;

 private:
  struct State;
  // What the deadline cancels: a body's ChildRun, type-erased.
  struct Body {
    bool (*expire)(void* run) = nullptr;  // cancels it; false when it has finished already
    std::shared_ptr<void> run;
  };
  template <class Run>
  static bool expire_run(void* r) {
    auto* run = static_cast<Run*>(r);
    if (run->done()) return false;
    run->cancel();
    return true;
  }

  void enter();                                // before the body starts
  void arm(const Executor& ex, Body body);     // once it waits
  void leave() noexcept;                       // once it has finished, however
  std::shared_ptr<State> st_;
};

// asyncio.timeout(delay): a deadline `delay` from now.
Timeout timeout(Timeout::Clock::duration delay);
template <class Rep, class Period>
Timeout timeout(std::chrono::duration<Rep, Period> delay) {
  return timeout(std::chrono::duration_cast<Timeout::Clock::duration>(delay));
}
// asyncio.timeout_at(when).
Timeout timeout_at(std::optional<Timeout::Clock::time_point> when);

template <detail::TaskValue T>
Task<T> Timeout::run(Task<T> body) {
  enter();
  struct Leave {
    Timeout* scope;
    ~Leave() { scope->leave(); }
  } leave{this};
  const auto ex = co_await boost::asio::this_coro::executor;
  detail::TaskAlias alias;  // the body belongs to this task (current_task())
  alias.owner = co_await boost::asio::this_coro::cancellation_state;
  using Run = detail::ChildRun<T>;
  auto child = std::make_shared<Run>(1, Run::Mode::keep_going);
  child->start_here(std::move(body), ex, alias);
  if (!child->done()) {  // it waits: the deadline can cancel it now
    arm(ex, Body{&expire_run<Run>, child});
    co_await child->join();  // throws the cancellation if this task was cancelled
  }
  if (auto e = child->take_error(0)) {
    if (expired() && is_cancellation(e)) throw TimeoutError();
    std::rethrow_exception(e);
  }
  if constexpr (std::is_void_v<T>) {
    co_return;
  } else {
    co_return child->take(0);
  }
}

}  // namespace runtime
