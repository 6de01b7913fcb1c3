// The shared state behind Future, TaskHandle and to_thread: a one-shot result
// (value or exception) that any number of coroutines can wait for.
#pragma once

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "runtime/detail/optional_mutex.hpp"
#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime::detail {

template <class T>
class FutureState {
 public:
  using value_type = value_t<T>;

  // Both return false (and change nothing) when a result is already set.
  bool set_value(value_type v) {
    WakeList woken;
    return record_value(std::move(v), woken) && wake(woken);
  }
  bool set_exception(std::exception_ptr e) {
    WakeList woken;
    return record_exception(std::move(e), woken) && wake(woken);
  }

  bool done() const noexcept { return done_.load(std::memory_order_acquire); }

  // The hook that parks the caller until a result is set, for the caller's
  // own wait coroutine to co_await (no frame of its own; see ParkHook):
  //
  //   detail::Waiter w;
  //   co_await park_on(st->wait_hook(w));
  //   w.check();
  //
  // `on_cancel`: see detail::OnCancel; it must outlive the co_await.
  auto wait_hook(Waiter& w, OnCancel* on_cancel = nullptr) {
    return ParkHook<IsDone, OptionalMutex>{m_, waiters_, IsDone{this}, w, on_cancel};
  }

  // For a waiter that is a callback (Waiter::on_complete): queues it to be
  // completed when the result is set; false, and nothing queued, when it is
  // set already.
  bool subscribe(Waiter& w) {
    std::lock_guard lk(m_);
    if (done_.load(std::memory_order_relaxed)) return false;
    waiters_.push_back(&w);
    return true;
  }
  // Takes it out of the queue again; false when the result's setter took it
  // first (it is then completed, or is being completed, by the setter).
  bool unsubscribe(Waiter& w) {
    std::lock_guard lk(m_);
    return waiters_.remove(&w);
  }

  // The result: a copy of the value, or the exception rethrown. No lock: a
  // recorded result does not change any more, and done() orders it after the
  // record. (take() moves it out: it is for the one consumer of a result,
  // and is not to be mixed with get() on other threads.)
  value_type get() const {
    if (!done()) not_done();
    if (error_) std::rethrow_exception(error_);
    if (!value_) throw std::logic_error("the result was already taken");
    return *value_;
  }
  // The result, moved out (for the one consumer that owns it). The exception
  // is moved out too: the producer thread may drop the last reference to this
  // state later, and it must not be the one to destroy an exception object the
  // consumer is still reading (exception_ptr's reference count lives inside
  // libstdc++, where ThreadSanitizer cannot see it order the two threads).
  value_type take() {
    std::lock_guard lk(m_);
    check_done();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    if (!value_) throw std::logic_error("the result was already taken");
    return std::move(*std::exchange(value_, std::nullopt));
  }
  std::exception_ptr exception() const {
    std::lock_guard lk(m_);
    check_done();
    return error_;
  }

 protected:
  bool record_value(value_type v, WakeList& woken) {
    return record([&] { value_.emplace(std::move(v)); }, woken);
  }
  bool record_exception(std::exception_ptr e, WakeList& woken) {
    return record([&] { error_ = std::move(e); }, woken);
  }
  static bool wake(WakeList& woken) {
    while (auto* w = woken.pop_front()) w->complete({});
    return true;
  }
  // The lock that orders the record with done() (for a subclass's own state
  // that changes when the result is recorded). A subclass whose state is used
  // on one thread only switches it off before sharing the state.
  OptionalMutex& mutex() const noexcept { return m_; }

 private:
  // Acquire: with the lock switched off, this is what orders the read of the
  // result after its record.
  void check_done() const {
    if (!done_.load(std::memory_order_acquire)) not_done();
  }
  [[noreturn]] static void not_done() {
    throw std::logic_error("result requested before the task or future is done");
  }

  // Records the result unless one is set (then false), and moves the waiters
  // into `woken`, for the caller to wake (a finishing task does so once it is
  // off the books).
  template <class Record>
  bool record(Record set_result, WakeList& woken) {
    std::lock_guard lk(m_);
    if (done_.load(std::memory_order_relaxed)) return false;
    set_result();
    done_.store(true, std::memory_order_release);
    woken = waiters_.take_all();
    return true;
  }

  struct IsDone {
    const FutureState* st;
    bool operator()() const noexcept { return st->done_.load(std::memory_order_relaxed); }  // under m_
  };

  mutable OptionalMutex m_;
  std::atomic<bool> done_ = false;  // set under m_ once the result is in; read without it by done()
  std::optional<value_type> value_;
  std::exception_ptr error_;
  WaitQueue waiters_;
};

// How Future::wait and TaskHandle::wait wait (see direct_wait.hpp): a copy of
// the result, or its exception rethrown. A move-only result (a lock guard,
// say) is moved out to the first waiter; a later wait throws logic_error.
// With `kCancelsTask` (TaskHandle), cancelling the waiting task cancels the
// awaited one, and the wait goes on until that one has finished (asyncio's
// structured await). `Ref` is the owning pointer to the state (shared_ptr,
// StateRef): the state outlives the wait even if the handle does not.
template <class T, class Ref, bool kCancelsTask>
class AwaitResult {
 public:
  using result_type = T;

  explicit AwaitResult(Ref st) noexcept : st_(std::move(st)) {}
  // The cancel hook is set when the wait parks, after the last move.
  AwaitResult(AwaitResult&& o) noexcept : st_(std::move(o.st_)) {}
  AwaitResult& operator=(AwaitResult&&) = delete;

  bool try_now() noexcept { return st_->done(); }
  auto park_hook(Waiter& w) noexcept {
    if constexpr (kCancelsTask) {
      using State = std::remove_reference_t<decltype(*st_)>;
      // Begins the member's life (OnCancel's default constructor is not trivial).
      std::construct_at(&on_cancel_, OnCancel::call<&State::cancel_from_awaiter>(st_.get()));  // st_ holds the state
      return st_->wait_hook(w, &on_cancel_);
    } else {
      return st_->wait_hook(w);
    }
  }
  T result() {
    if constexpr (std::is_void_v<T>) {
      st_->get();
    } else if constexpr (std::is_copy_constructible_v<T>) {
      return st_->get();
    } else {
      return st_->take();
    }
  }

 private:
  Ref st_;
  // Neither initialised nor moved: a Wait is moved before it parks, and a
  // moved pair of words written apart stalls the CPU (see state_ref.hpp).
  union {
    OnCancel on_cancel_;
  };
};

}  // namespace runtime::detail
