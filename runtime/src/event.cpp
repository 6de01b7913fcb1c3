#include "runtime/event.hpp"

namespace runtime {

void Event::set() {
  detail::WakeList woken;
  {
    std::lock_guard lk(m_);
    set_.store(true, std::memory_order_release);
    woken = waiters_.take_all();
  }
  // Waiters resume in the order they started waiting.
  while (auto* w = woken.pop_front()) w->complete({});
}

void Event::clear() noexcept {
  std::lock_guard lk(m_);
  set_.store(false, std::memory_order_relaxed);
}

std::size_t Event::waiters() const noexcept {
  std::lock_guard lk(m_);
  return waiters_.size();
}

}  // namespace runtime
