#include "runtime/semaphore.hpp"

#include "runtime/bounded_semaphore.hpp"

namespace runtime {

// Under m_: takes a permit if one is free and nobody is queued, else sets
// kQueued (the caller then queues itself, still under m_).
bool Semaphore::take_or_queue_locked() noexcept {
  std::size_t s = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (s & kQueued) return false;
    const bool take = s >= kOnePermit;
    const std::size_t next = take ? s - kOnePermit : s | kQueued;
    if (state_.compare_exchange_weak(s, next, std::memory_order_acquire, std::memory_order_relaxed)) {
      return take;
    }
  }
}

// A release that saw kQueued: the permit passes to the longest waiter, or,
// when every waiter has been cancelled, becomes free again. kQueued does not
// change while m_ is held (both fast paths leave it alone), but an earlier
// hand-over may have emptied the queue and cleared it since: then this is a
// plain release.
void Semaphore::hand_over() noexcept {
  detail::Waiter* next;
  {
    std::lock_guard lk(m_);
    std::size_t s = state_.load(std::memory_order_relaxed);
    while (!(s & kQueued)) {
      if (state_.compare_exchange_weak(s, s + kOnePermit, std::memory_order_release,
                                       std::memory_order_relaxed)) {
        return;
      }
    }
    next = waiters_.pop_front();
    // No permit is free while kQueued.
    state_.store(!next ? kOnePermit : waiters_.empty() ? 0 : kQueued, std::memory_order_release);
  }
  if (next) next->complete({});
}

void Semaphore::detached() noexcept {
  if (bounded_) detached_.fetch_add(1, std::memory_order_relaxed);
}

void Semaphore::release() {
  if (bounded_) {
    std::size_t d = detached_.load(std::memory_order_relaxed);
    do {
      if (d == 0) throw ReleasedTooManyTimes();
    } while (!detached_.compare_exchange_weak(d, d - 1, std::memory_order_relaxed));
  }
  give_back();
}

std::size_t Semaphore::waiters() const noexcept {
  std::lock_guard lk(m_);
  return waiters_.size();
}

}  // namespace runtime
