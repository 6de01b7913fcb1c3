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
// wait(guard) releases the lock, waits to be notified, and holds the lock
// again when it returns, also when it ends with an error: `guard` holds the
// lock, whatever wait() ends with (asyncio's rule). notify(n) wakes the n
// tasks that have waited longest, notify_all() every one. wait, notify and
// notify_all need the lock held: std::logic_error otherwise (asyncio's
// RuntimeError), and wait's guard must hold this condition's lock.
//
// A notified task queues for the lock at once, in the notify call (the lock
// is held then), and is resumed only when the lock is handed to it: one wake-
// up per wait. asyncio's notified task asks for the lock when it next runs, so
// a task that asks for it in between goes first there, not here.
//
// Cancelling a waiting task ends its wait with CancelledError once the lock
// is back, and takes no notification with it. A task notified and then
// cancelled while it still waits for the lock throws too, and passes its
// notification on to the next waiter (asyncio passes one on in both cases:
// the notified case is the one where one would be lost); one cancelled after
// it has the lock back returns normally and its next await throws, as with
// every wait of the runtime. Safe to share between tasks on several loop
// threads.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <type_traits>

#include "runtime/detail/direct_wait.hpp"
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
  auto acquire() { return lock_.acquire(); }
  bool locked() const noexcept { return lock_.locked(); }
  Lock& lock() noexcept { return lock_; }

  // How wait() waits (see detail/direct_wait.hpp): never at once; parked on
  // the condition, then queued for the lock.
  struct Waiting {
    using result_type = void;
    enum class Stage : unsigned char { waiting, notified, cancelled, notified_then_cancelled };

    Condition* cond;
    // Both under the lock's mutex (see mutex()).
    Stage stage = Stage::waiting;
    bool in_condition_queue = false;  // not yet notified nor cancelled
    const detail::TaskNode* cancelled_by = nullptr;  // the task whose cancellation ended it

    bool try_now() noexcept { return false; }
    auto park_hook(detail::Waiter& w) noexcept {
      w.payload = this;
      return Parking{this, &w};
    }
    // With the lock held again.
    void result() const {
      if (stage != Stage::notified) cond->end_cancelled(*this);
    }
  };

  // See above. `guard` holds this condition's lock on entry and on exit;
  // std::logic_error (at once) when it does not.
  Wait<Waiting> wait(Lock::Guard& guard);

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
  // How a wait parks: queued among the waiters first, then the lock released,
  // so that a task taking the lock next and notifying finds it queued.
  struct Parking {
    Waiting* op;
    detail::Waiter* w;

    bool ready_now() const noexcept { return false; }
    template <class MakeParked>
    bool park(MakeParked&& make) const {
      Condition& c = *op->cond;
      detail::Waiter* next_holder;
      {
        std::lock_guard lk(c.mutex());
        make(w->parked);
        c.waiters_.push_back(w);
        op->in_condition_queue = true;
        auto slot = w->parked->slot();
        if (slot.is_connected()) slot.template emplace<OnCancel>(op, w);
        next_holder = c.lock_.release_locked();
      }
      // The coroutine is suspended: whoever the lock goes to, and a notify,
      // can only resume it once this returns.
      if (next_holder) next_holder->complete({});
      return true;
    }
  };
  // A waiting task is cancelled (Asio builds it with parenthesised arguments).
  struct OnCancel {
    OnCancel(Waiting* op, detail::Waiter* w) noexcept : op(op), w(w) {}
    Waiting* op;
    detail::Waiter* w;
    void operator()(boost::asio::cancellation_type) const { op->cond->cancel(*op, *w); }
  };

  // The condition's waiters, like the lock's, are guarded by the lock's own
  // mutex: a wait queues itself and releases the lock, and a notify moves a
  // waiter to the lock's queue, each under that one mutex.
  std::mutex& mutex() const noexcept { return lock_.m_; }
  void check_locked(const char* what) const;
  void wake_locked(std::size_t n);
  void queue_for_lock_locked(detail::Waiter& w);
  void cancel(Waiting& op, detail::Waiter& w);
  [[noreturn]] void end_cancelled(const Waiting& op);

  std::optional<Lock> own_;  // when no Lock was given
  Lock& lock_;
  detail::WaitQueue waiters_;  // guarded by mutex()
};

}  // namespace runtime
