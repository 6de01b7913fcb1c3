// Lock: asyncio.Lock. An async mutex, FIFO-fair, held through an RAII guard.
//
//   auto guard = co_await lock.acquire();   // async with lock:
//   ...                                      // released when `guard` dies
//
// Release hands the lock straight to the longest waiter, so nobody barges in
// ahead of the queue. Cancelling a waiting task takes it out of the queue and
// leaves the lock as it was. Safe to share between tasks on several threads.
//
// An uncontended acquire or release is one atomic compare-and-swap (and no
// coroutine frame: acquire() returns a Wait, see detail/direct_wait.hpp); only
// a lock with waiters queued takes the mutex that guards the queue.
#pragma once

#include <atomic>
#include <mutex>

#include "runtime/detail/direct_wait.hpp"
#include "runtime/detail/loop_binding.hpp"
#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime {

class Condition;

class Lock {
 public:
  class Guard {
   public:
    Guard() = default;
    Guard(Guard&& o) noexcept : lock_(std::exchange(o.lock_, nullptr)) {}
    Guard& operator=(Guard&& o) noexcept {
      if (this != &o) {
        unlock();
        lock_ = std::exchange(o.lock_, nullptr);
      }
      return *this;
    }
    ~Guard() { unlock(); }
    bool owns_lock() const noexcept { return lock_ != nullptr; }
    void unlock() noexcept {
      if (lock_) std::exchange(lock_, nullptr)->release();
    }

   private:
    friend class Lock;
    friend class Condition;  // checks that a guard holds its lock
    explicit Guard(Lock* l) noexcept : lock_(l) {}
    Lock* lock_ = nullptr;
  };

  // Made on a one-thread loop, the lock belongs to it (detail/loop_binding.hpp):
  // acquiring it from another thread throws std::logic_error.
  Lock() noexcept : owner_(detail::one_thread_loop_here()) {}
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  // How acquire() waits (see detail/direct_wait.hpp).
  struct Acquire {
    using result_type = Guard;
    Lock* lock;
    bool try_now() noexcept { return lock->try_take(); }
    auto park_hook(detail::Waiter& w) noexcept {
      // Either it is free under the mutex, or hand_over() gives it to us.
      auto ready = [l = lock] { return l->take_or_queue_locked(); };
      return detail::ParkHook<decltype(ready)>{lock->m_, lock->waiters_, ready, w};
    }
    Guard result() noexcept { return Guard(lock); }
  };

  // Waits for the lock (FIFO) and returns the guard that holds it:
  // `auto guard = co_await lock.acquire();`.
  Wait<Acquire> acquire() {
    check_owner();
    return Wait<Acquire>(Acquire{this});
  }
  // Takes the lock only if it is free and nobody is queued.
  bool try_acquire(Guard& out) {
    check_owner();
    if (!try_take()) return false;
    out = Guard(this);
    return true;
  }

  bool locked() const noexcept { return state_.load(std::memory_order_relaxed) != kFree; }
  std::size_t waiters() const noexcept;

 private:
  friend class Condition;  // releases and takes back the lock around its waits

  // kQueued: held, and waiters may be queued (a cancelled waiter leaves the
  // queue without resetting it). Only changed under m_, and then neither fast
  // path applies: new arrivals queue behind the waiters, and the release hands
  // the lock over under m_.
  enum : int { kFree, kHeld, kQueued };

  void release() noexcept {
    if (owner_) {  // one thread: no other can take it between the load and the store
      if (state_.load(std::memory_order_relaxed) == kHeld) return state_.store(kFree, std::memory_order_relaxed);
      return hand_over();
    }
    int expected = kHeld;
    if (!state_.compare_exchange_strong(expected, kFree, std::memory_order_release,
                                        std::memory_order_relaxed)) {
      hand_over();
    }
  }
  bool try_take() noexcept {
    if (owner_) {
      if (state_.load(std::memory_order_relaxed) != kFree) return false;
      state_.store(kHeld, std::memory_order_relaxed);
      return true;
    }
    int expected = kFree;
    return state_.compare_exchange_strong(expected, kHeld, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }
  void check_owner() const {
    if (owner_ && !detail::runs_here(owner_)) [[unlikely]] detail::throw_other_loop("a Lock");
  }
  void hand_over() noexcept;
  detail::Waiter* hand_over_locked() noexcept;
  // release() for a holder that has m_ locked already (Condition's wait):
  // the waiter it hands the lock to, to be completed once m_ is released.
  detail::Waiter* release_locked() noexcept;
  bool take_or_queue_locked() noexcept;

  detail::Loop* const owner_;  // the one-thread loop it belongs to, or null: atomic, shareable
  std::atomic<int> state_{kFree};
  mutable std::mutex m_;  // guards waiters_
  detail::WaitQueue waiters_;
};

}  // namespace runtime
