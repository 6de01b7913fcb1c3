// The machinery under Lock, Semaphore, Event, Queue, Future and TaskGroup: a FIFO
// of parked coroutines, guarded by the owning primitive's mutex.
//
// A waiter is completed exactly once: by the primitive (wake) or by cancellation
// (abort), whichever takes it out of the queue first under the mutex. The
// completion is posted to the waiter's own executor, never run inline inside the
// releasing call, so a release on one thread resumes a waiter on its own strand.
#pragma once

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <functional>
#include <mutex>
#include <utility>

#include "runtime/task.hpp"

namespace runtime::detail {

struct Waiter {
  Waiter* prev = nullptr;
  Waiter* next = nullptr;
  bool linked = false;
  void* payload = nullptr;  // primitive-specific hand-off slot (e.g. Queue's item)
  virtual void complete(boost::system::error_code ec) = 0;  // posts, then frees the node
 protected:
  ~Waiter() = default;
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

template <class Handler>
class WaiterFor final : public Waiter {
 public:
  WaiterFor(Handler h, boost::asio::cancellation_slot slot)
      : handler_(std::move(h)), slot_(slot), work_(boost::asio::get_associated_executor(handler_)) {}

  void complete(boost::system::error_code ec) override {
    auto ex = boost::asio::get_associated_executor(handler_);
    // The hold on the loop is released here, once post() has returned, not by
    // the posted handler: the completer may be a foreign thread (to_thread,
    // Future::set_value), and the loop must not run out of work and be
    // destroyed while that thread is still inside post() (TSan caught it).
    // `this` may be gone as soon as post() returns.
    auto work = std::move(work_);
    boost::asio::post(ex, [this, ec]() mutable {
      // Runs on the waiter's executor, where cancellation is emitted, so the
      // slot's handler (which points at this node) can be dropped safely here.
      if (slot_.is_connected()) slot_.clear();
      Handler h = std::move(handler_);
      delete this;
      std::move(h)(ec);
    });
  }

 private:
  Handler handler_;
  boost::asio::cancellation_slot slot_;
  // A parked task is outstanding work, as a pending Asio operation is: without
  // it the loop runs out of work and run() returns while a task still waits
  // for a Future set by a foreign thread or a to_thread result.
  boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> work_;
};

// What cancelling a parked task does. Default: leave the queue and throw
// CancelledError. With a callback (e.g. "cancel the task I am awaiting") the
// callback runs and the waiter keeps waiting for its normal wake-up.
using OnCancel = std::function<void()>;

// The default cancellation handler of a parked waiter.
struct AbortWait {
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

struct RunOnCancel {
  OnCancel f;
  void operator()(boost::asio::cancellation_type) const { f(); }
};

// Parks the calling coroutine in `q` unless `ready()` (called under `m`) says it
// may go on at once. `ready` may also claim the resource (take a permit, etc.).
template <class Ready>
Task<void> park(std::mutex& m, WaitQueue& q, Ready ready, void* payload = nullptr,
                OnCancel on_cancel = nullptr) {
  auto initiate = [&m, &q, &ready, payload, &on_cancel](auto handler) {
    using H = decltype(handler);
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    auto* w = new WaiterFor<H>(std::move(handler), slot);
    w->payload = payload;
    {
      std::lock_guard lk(m);
      if (!ready()) {
        q.push_back(w);
        if (slot.is_connected()) {
          if (on_cancel) {
            slot.template emplace<RunOnCancel>(std::move(on_cancel));
          } else {
            slot.template emplace<AbortWait>(&m, &q, w);
          }
        }
        return;
      }
    }
    w->complete({});
  };
  co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                       void(boost::system::error_code)>(
      std::move(initiate), boost::asio::use_awaitable);
}

}  // namespace runtime::detail
