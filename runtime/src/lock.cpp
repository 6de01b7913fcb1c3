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
    next = waiters_.pop_front();
    const int s = !next ? kFree : waiters_.empty() ? kHeld : kQueued;
    state_.store(s, std::memory_order_release);
  }
  if (next) next->complete({});
}

std::size_t Lock::waiters() const noexcept {
  std::lock_guard lk(m_);
  return waiters_.size();
}

}  // namespace runtime
