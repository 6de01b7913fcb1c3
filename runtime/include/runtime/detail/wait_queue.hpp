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

#include "runtime/detail/resume.hpp"
#include "runtime/task.hpp"

namespace runtime::detail {

// A parked coroutine. It lives in the parked coroutine's own frame (see park),
// so parking allocates nothing; it is valid until it has been completed.
struct Waiter {
  // User-provided: GCC 12 value-initialised the whole node (optionals' storage
  // included) with a `rep stos` in every waiting frame, slow for 144 bytes.
  Waiter() noexcept {}

  Waiter* prev = nullptr;
  Waiter* next = nullptr;
  bool linked = false;
  void* payload = nullptr;  // primitive-specific hand-off slot (e.g. Queue's item)
  boost::system::error_code ec;  // what the wait ended with

  // Resumes the coroutine on its own executor, never inline: a release on one
  // thread resumes a waiter on its own strand. `this` may be gone as soon as
  // this returns.
  void complete(boost::system::error_code e) {
    ec = e;
    ResumePoint where = std::move(*resume_point);
    where.post([this] {
      // Moved out first: pumping resumes the parked frame, which may end and
      // take this node with it. The resumer also drops the cancellation
      // handler (which points at this node) on this executor, where
      // cancellation is emitted, so the two never race.
      Resumer r = std::move(*resumer);
      resumer.reset();
      r();
    });
  }

  // Completes the wait successfully, resuming the coroutine inline when this
  // thread runs its loop and it is on no strand (a one-thread loop: with
  // several threads every task has a strand), else as complete().
  // Only for a caller that has nothing left to do after this (a task at its
  // very end), so the inline run cannot interleave with its work; nested
  // inline runs are bounded, so a chain of tasks awaiting each other cannot
  // overflow the stack.
  void continue_here_or_post() {
    static thread_local int depth = 0;
    if (depth >= 16 || !resume_point->runs_here()) return complete({});
    struct Nested {
      Nested() noexcept { ++depth; }
      ~Nested() { --depth; }
    } nested;
    resume_point.reset();  // its hold on the loop is not needed: we are in it
    Resumer r = std::move(*resumer);
    resumer.reset();
    r();
  }

  // After the wait: throws the cancellation error if it was cancelled.
  void check() const {
    if (ec) throw boost::system::system_error(ec);
  }

  std::optional<Resumer> resumer;
  std::optional<ResumePoint> resume_point;
};

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
struct AbortWait {
  AbortWait(std::mutex* m, WaitQueue* q, Waiter* w) noexcept : m(m), q(q), w(w) {}
  std::mutex* m;
  WaitQueue* q;
  Waiter* w;
  void operator()(boost::asio::cancellation_type) const {
    bool removed;
    {
      std::lock_guard lk(*m);
      removed = q->remove(w);
    }
    if (removed) w->complete(boost::asio::error::operation_aborted);
  }
};

// With an OnCancel: run it; the wait goes on.
struct RunOnCancel {
  explicit RunOnCancel(OnCancel f) noexcept : f(f) {}
  OnCancel f;
  void operator()(boost::asio::cancellation_type) const { f(); }
};

// The co_await hook that parks a coroutine; it runs right after the coroutine
// has suspended (Asio's await_transform(Function) extension point). Either
// `ready()` (called under `m`; it may also claim the resource: take a permit,
// etc.) says the coroutine may go on, and it does at once (its thread is not
// detached, so Asio's pump loop resumes it without a trip through the loop),
// or its thread is detached into `w` and queued in `q`. A primitive's own wait
// coroutine uses it directly, saving park()'s frame:
//
//   detail::Waiter w;
//   co_await detail::ParkHook<decltype(ready)>{m_, waiters_, ready, w};
//   w.check();
// (Name `Ready` explicitly: clang 14, which CI also builds the runtime with, cannot
// deduce an aggregate's template arguments.)
template <class Ready>
struct ParkHook {
  std::mutex& m;
  WaitQueue& q;
  Ready ready;  // a small function object (a lambda capturing `this`, say)
  Waiter& w;
  OnCancel* on_cancel = nullptr;  // see OnCancel; null: the default, abort the wait

  Thread* operator()(Frame* frame) const {
    std::lock_guard lk(m);
    if (ready()) return nullptr;
    Resumer::result_type unused;
    w.resumer.emplace(frame->detach_thread(), unused);
    w.resume_point.emplace(w.resumer->get_executor());
    q.push_back(&w);
    auto slot = w.resumer->get_cancellation_slot();
    if (slot.is_connected()) {
      if (on_cancel && *on_cancel) {
        slot.template emplace<RunOnCancel>(*on_cancel);
      } else {
        slot.template emplace<AbortWait>(&m, &q, &w);
      }
    }
    return nullptr;
  }
};

// Parks the calling coroutine in `q` unless `ready()` says it may go on (see
// ParkHook). Throws the cancellation error when the wait is cancelled.
template <class Ready>
Task<void> park(std::mutex& m, WaitQueue& q, Ready ready, void* payload = nullptr,
                OnCancel on_cancel = {}) {
  Waiter w;
  w.payload = payload;
  co_await ParkHook<Ready>{m, q, ready, w, &on_cancel};
  w.check();
}

}  // namespace runtime::detail
