// Semaphore: asyncio.Semaphore. A counting semaphore, FIFO-fair, whose permits
// are RAII objects.
//
//   auto permit = co_await sem.acquire();   // async with sem:
//
//   (co_await sem.acquire()).detach();      // await sem.acquire()
//   sem.release();                          // sem.release(), later, anywhere
//
// Never more holders than permits: a released permit goes straight to the
// longest waiter. Cancelling a waiting task takes it out of the queue without
// touching the count. Safe to share between tasks on several threads.
//
// release() is asyncio's bare release: it adds a permit whether or not one
// was taken, so a Semaphore's count can grow past its start (asyncio's rule);
// a BoundedSemaphore (bounded_semaphore.hpp) refuses that.
//
// An uncontended acquire or release is one atomic compare-and-swap (and no
// coroutine frame: acquire() returns a Wait, see detail/direct_wait.hpp); only
// a semaphore with waiters queued takes the mutex that guards the queue.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <optional>

#include "runtime/detail/direct_wait.hpp"
#include "runtime/detail/loop_binding.hpp"
#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime {

class Semaphore {
 public:
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& o) noexcept : sem_(std::exchange(o.sem_, nullptr)) {}
    Permit& operator=(Permit&& o) noexcept {
      if (this != &o) {
        release();
        sem_ = std::exchange(o.sem_, nullptr);
      }
      return *this;
    }
    ~Permit() { release(); }
    explicit operator bool() const noexcept { return sem_ != nullptr; }
    void release() noexcept {
      if (sem_) std::exchange(sem_, nullptr)->give_back();
    }
    // Lets go of the permit without giving it back: it stays taken until
    // Semaphore::release() (asyncio's unpaired acquire()/release()).
    void detach() noexcept {
      if (sem_) std::exchange(sem_, nullptr)->detached();
    }

   private:
    friend class Semaphore;
    explicit Permit(Semaphore* s) noexcept : sem_(s) {}
    Semaphore* sem_ = nullptr;
  };

  // Made on a one-thread loop, the semaphore belongs to it
  // (detail/loop_binding.hpp): acquiring from another thread throws
  // std::logic_error.
  explicit Semaphore(std::size_t permits) : Semaphore(permits, false) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // How acquire() waits (see detail/direct_wait.hpp).
  struct Acquire {
    using result_type = Permit;
    Semaphore* sem;
    bool try_now() noexcept { return sem->try_take(); }
    auto park_hook(detail::Waiter& w) noexcept {
      // Either a permit is free under the mutex, or hand_over() gives one to us.
      auto ready = [s = sem] { return s->take_or_queue_locked(); };
      return detail::ParkHook<decltype(ready)>{sem->m_, sem->waiters_, ready, w};
    }
    Permit result() noexcept { return Permit(sem); }
  };

  // Waits (FIFO) for a permit: `auto permit = co_await sem.acquire();`.
  Wait<Acquire> acquire() {
    check_owner();
    return Wait<Acquire>(Acquire{this});
  }
  // A permit now, or nothing (also nothing while others are queued: no barging).
  std::optional<Permit> try_acquire() {
    check_owner();
    if (!try_take()) return std::nullopt;
    return Permit(this);
  }

  // One permit back, to the longest waiter or to the count (see above).
  // BoundedSemaphore: throws ReleasedTooManyTimes unless a detached permit is
  // out.
  void release();

  std::size_t available() const noexcept { return state_.load(std::memory_order_relaxed) / kOnePermit; }
  std::size_t waiters() const noexcept;  // tasks queued for one

 protected:
  Semaphore(std::size_t permits, bool bounded)
      : owner_(detail::one_thread_loop_here()), state_(permits * kOnePermit), bounded_(bounded) {}

 private:
  // state_ = free permits × kOnePermit, plus kQueued while waiters may be
  // queued (then no permit is free: each release hands one over under m_).
  static constexpr std::size_t kQueued = 1;
  static constexpr std::size_t kOnePermit = 2;

  void give_back() noexcept {
    std::size_t s = state_.load(std::memory_order_relaxed);
    if (owner_) {  // one thread: nobody changes it between the load and the store
      if (s & kQueued) return hand_over();
      return state_.store(s + kOnePermit, std::memory_order_relaxed);
    }
    do {
      if (s & kQueued) return hand_over();
    } while (!state_.compare_exchange_weak(s, s + kOnePermit, std::memory_order_release,
                                           std::memory_order_relaxed));
  }
  bool try_take() noexcept {
    std::size_t s = state_.load(std::memory_order_relaxed);
    if (owner_) {
      if (s < kOnePermit || (s & kQueued)) return false;
      state_.store(s - kOnePermit, std::memory_order_relaxed);
      return true;
    }
    do {
      if (s < kOnePermit || (s & kQueued)) return false;
    } while (!state_.compare_exchange_weak(s, s - kOnePermit, std::memory_order_acquire,
                                           std::memory_order_relaxed));
    return true;
  }
  void hand_over() noexcept;
  bool take_or_queue_locked() noexcept;
  void detached() noexcept;
  void check_owner() const {
    if (owner_ && !detail::runs_here(owner_)) [[unlikely]] detail::throw_other_loop("a Semaphore");
  }

  detail::Loop* const owner_;  // the one-thread loop it belongs to, or null: atomic, shareable
  std::atomic<std::size_t> state_;
  const bool bounded_;
  std::atomic<std::size_t> detached_{0};  // BoundedSemaphore: permits taken without a Permit
  mutable std::mutex m_;  // guards waiters_
  detail::WaitQueue waiters_;
};

}  // namespace runtime
