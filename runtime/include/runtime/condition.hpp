// Condition: asyncio.Condition. Tasks wait, holding its Lock, until another
// task that holds it notifies them.
//
//   runtime::Condition cond;                  // a Lock of its own; Condition(lock) shares one
//   {
//     auto guard = co_await cond.acquire();   // async with cond:
//     co_await cond.wait_for(guard, [&] { return !jobs.empty(); });
//     ...                                     // the lock is held again here
//   }
//   {
//     auto guard = co_await cond.acquire();
//     jobs.push_back(job);
//     cond.notify();                          // wakes the longest waiter
//   }
//
// wait(guard) releases the lock, waits to be notified, and takes the lock
// back before it returns, also when it ends with an error: `guard` holds the
// lock again, whatever wait() ends with (asyncio's rule). notify(n) wakes the
// n tasks that have waited longest, notify_all() every one; a woken task runs
// once it has the lock back. wait, notify and notify_all need the lock held:
// std::logic_error otherwise (asyncio's RuntimeError), and wait's guard must
// hold this condition's lock.
//
// Cancelling a waiting task ends its wait with the cancellation error, once
// the lock is back, and takes no notification with it. A task notified and
// then cancelled before it has the lock back throws the cancellation error
// too and passes its notification on to the next waiter (asyncio passes one
// on in both cases: the notified case is the one where one would be lost).
// Safe to share between tasks on several loop threads.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <type_traits>

#include "runtime/detail/wait_queue.hpp"
#include "runtime/lock.hpp"
#include "runtime/task.hpp"

namespace runtime {

class Condition {
 public:
  Condition();
  // Shares `lock`, which must outlive the condition.
  explicit Condition(Lock& lock) noexcept;
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;

  // The condition's lock: `auto guard = co_await cond.acquire();`.
  auto acquire() noexcept { return lock_.acquire(); }
  bool locked() const noexcept { return lock_.locked(); }
  Lock& lock() noexcept { return lock_; }

  // See above. `guard` holds this condition's lock on entry and on exit.
  Task<void> wait(Lock::Guard& guard);

  // Waits until `pred()` (called with the lock held) is true, and returns its
  // last result: asyncio's wait_for(predicate).
  template <class Predicate>
  Task<std::decay_t<std::invoke_result_t<Predicate&>>> wait_for(Lock::Guard& guard, Predicate pred) {
    auto result = pred();
    while (!result) {
      co_await wait(guard);
      result = pred();
    }
    co_return result;
  }

  void notify(std::size_t n = 1);
  void notify_all();

  std::size_t waiters() const noexcept;  // tasks waiting to be notified

 private:
  struct Parking;
  void check_locked(const char* what) const;
  void wake_locked(std::size_t n) noexcept;

  std::optional<Lock> own_;  // when no Lock was given
  Lock& lock_;
  mutable std::mutex m_;  // guards waiters_
  detail::WaitQueue waiters_;
};

}  // namespace runtime
