#include "runtime/lock.hpp"

namespace runtime {

// Under m_: takes the lock if it is free, else marks it kQueued (the caller
// then queues itself, still under m_, so hand_over() will find it).
bool Lock::take_or_queue_locked() noexcept {
  int s = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (s == kQueued) return false;
    const int next = s == kFree ? kHeld : kQueued;
    if (state_.compare_exchange_weak(s, next, std::memory_order_acquire, std::memory_order_relaxed)) {
      return next == kHeld;
    }
  }
}

// The holder releases a kQueued lock: ownership passes to the longest waiter
// (the lock stays held), or, when every waiter has been cancelled, it is free.
void Lock::hand_over() noexcept {
  detail::Waiter* next;
  {
    std::lock_guard lk(m_);
    next = hand_over_locked();
  }
  if (next) next->complete({});
}

// Under m_: the new holder, for the caller to complete once m_ is released.
detail::Waiter* Lock::hand_over_locked() noexcept {
  detail::Waiter* next = waiters_.pop_front();
  const int s = !next ? kFree : waiters_.empty() ? kHeld : kQueued;
  state_.store(s, std::memory_order_release);
  return next;
}

// Under m_ nobody else changes a held lock's state: the fast paths need it
// free (try_take) or belong to the holder (release).
detail::Waiter* Lock::release_locked() noexcept {
  if (state_.load(std::memory_order_relaxed) == kHeld) {
    state_.store(kFree, std::memory_order_release);
    return nullptr;
  }
  return hand_over_locked();
}

std::size_t Lock::waiters() const noexcept {
  std::lock_guard lk(m_);
  return waiters_.size();
}

}  // namespace runtime
