// The machinery under Lock, Semaphore, Event, Queue, Future and TaskGroup: a FIFO
// of parked coroutines, guarded by the owning primitive's mutex.
//
// A waiter is completed exactly once: by the primitive (wake) or by cancellation
// (abort), whichever takes it out of the queue first under the mutex. The
// completion is posted to the waiter's own executor, never run inline inside the
// releasing call, so a release on one thread resumes a waiter on its own strand
// (the one exception: a finished task's awaiter, see continue_here_or_post).
// A wait whose resource is free goes on without suspending through the loop.
#pragma once

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <mutex>
#include <optional>
#include <utility>

#include "runtime/detail/asio_path.hpp"
#include "runtime/task.hpp"

namespace runtime::detail {

// Waiters taken out of a WaitQueue all at once, to be woken after the owner's
// mutex is released. They are no longer linked: a cancellation that comes in
// between finds them gone from the queue and leaves them to the waker (a local
// WaitQueue would mark them linked, and the cancellation would unlink them
// from the wrong list).
class WakeList {
 public:
  // Reads the next node before the caller completes this one (which may end
  // its frame and free the node).
  Waiter* pop_front() noexcept {
    Waiter* w = head_;
    if (w) {
      head_ = w->next;
      w->next = nullptr;
    }
    return w;
  }

 private:
  friend class WaitQueue;
  Waiter* head_ = nullptr;
};

// Intrusive FIFO list. Not thread-safe: the owner's mutex guards it.
class WaitQueue {
 public:
  bool empty() const noexcept { return head_ == nullptr; }
  std::size_t size() const noexcept { return size_; }

  void push_back(Waiter* w) noexcept {
    w->prev = tail_;
    w->next = nullptr;
    w->linked = true;
    (tail_ ? tail_->next : head_) = w;
    tail_ = w;
    ++size_;
  }

  Waiter* pop_front() noexcept {
    Waiter* w = head_;
    if (w) unlink(w);
    return w;
  }

  // Every waiter, in order, unlinked (see WakeList).
  WakeList take_all() noexcept {
    WakeList all;
    all.head_ = head_;
    for (Waiter* w = head_; w; w = w->next) {
      w->linked = false;
      w->prev = nullptr;
    }
    head_ = tail_ = nullptr;
    size_ = 0;
    return all;
  }

  // Removes `w` if it is still queued; false when a waker took it first.
  bool remove(Waiter* w) noexcept {
    if (!w->linked) return false;
    unlink(w);
    return true;
  }

 private:
  void unlink(Waiter* w) noexcept {
    (w->prev ? w->prev->next : head_) = w->next;
    (w->next ? w->next->prev : tail_) = w->prev;
    w->prev = w->next = nullptr;
    w->linked = false;
    --size_;
  }

  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
  std::size_t size_ = 0;
};

// What cancelling a parked task does. Default: leave the queue and throw
// CancelledError. With a callback (e.g. "cancel the task I am awaiting") the
// callback runs and the waiter keeps waiting for its normal wake-up. A plain
// function and its argument: set up on every such wait, so nothing heavier
// than two pointers.
struct OnCancel {
  void (*fn)(void*) = nullptr;
  void* arg = nullptr;

  // `OnCancel::call<&Group::cancel_all>(group)`
  template <auto Member, class T>
  static OnCancel call(T* object) noexcept {
    return {[](void* p) { (static_cast<T*>(p)->*Member)(); }, object};
  }
  explicit operator bool() const noexcept { return fn != nullptr; }
  void operator()() const { fn(arg); }
};

// The cancellation handlers of a parked waiter. Asio builds them with
// parenthesised arguments, hence the constructors (an aggregate would do for
// GCC, not for clang 14).
// The default one: leave the queue and end the wait with operation_aborted.
template <class Mutex>
struct AbortWait {
  AbortWait(Mutex* m, WaitQueue* q, Waiter* w) noexcept : m(m), q(q), w(w) {}
  Mutex* m;
  WaitQueue* q;
  Waiter* w;
  void operator()(boost::asio::cancellation_type) const {
    bool removed;
    {
      std::lock_guard lk(*m);
      removed = q->remove(w);
    }
    if (removed) w->abort();
  }
};

// With an OnCancel: run it; the wait goes on.
struct RunOnCancel {
  explicit RunOnCancel(OnCancel f) noexcept : f(f) {}
  OnCancel f;
  void operator()(boost::asio::cancellation_type) const { f(); }
};

// How a coroutine parks (co_await park_on(hook), see asio_path.hpp). Either
// `ready()` (called under `m`; it may also claim the resource: take a permit,
// etc.) says the coroutine may go on, and it does at once (on the fast path
// without a trip through the loop), or it is parked in `w` and queued in `q`.
// A primitive's own wait coroutine uses it directly, saving park()'s frame:
//
//   detail::Waiter w;
//   co_await detail::park_on(detail::ParkHook<decltype(ready)>{m_, waiters_, ready, w});
//   w.check();
// (Name `Ready` explicitly: clang 14, which CI also builds the runtime with, cannot
// deduce an aggregate's template arguments.)
// `Mutex`: std::mutex, or an OptionalMutex (a task's state).
template <class Ready, class Mutex = std::mutex>
struct ParkHook {
  Mutex& m;
  WaitQueue& q;
  Ready ready;  // a small function object (a lambda capturing `this`, say)
  Waiter& w;
  OnCancel* on_cancel = nullptr;  // see OnCancel; null: the default, abort the wait

  // `ready()` under the mutex, without parking.
  bool ready_now() const {
    std::lock_guard lk(m);
    return ready();
  }

  // Under the mutex: false when `ready()`; else `make(w.parked)` makes the
  // way back to the suspended coroutine, which is queued, and true.
  template <class MakeParked>
  bool park(MakeParked&& make) const {
    std::lock_guard lk(m);
    if (ready()) return false;
    make(w.parked);
    q.push_back(&w);
    auto slot = w.parked->slot();
    if (slot.is_connected()) {
      if (on_cancel && *on_cancel) {
        slot.template emplace<RunOnCancel>(*on_cancel);
      } else {
        slot.template emplace<AbortWait<Mutex>>(&m, &q, &w);
      }
    }
    return true;
  }
};

// Parks the calling coroutine in `q` unless `ready()` says it may go on (see
// ParkHook). Throws the cancellation error when the wait is cancelled.
template <class Ready>
Task<void> park(std::mutex& m, WaitQueue& q, Ready ready, void* payload = nullptr,
                OnCancel on_cancel = {}) {
  Waiter w;
  w.payload = payload;
  co_await park_on(ParkHook<Ready>{m, q, ready, w, &on_cancel});
  w.check();
}

}  // namespace runtime::detail
