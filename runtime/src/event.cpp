#include "runtime/event.hpp"

namespace runtime {

void Event::set() {
  detail::WaitQueue woken;
  {
    std::lock_guard lk(m_);
    set_.store(true, std::memory_order_release);
    while (auto* w = waiters_.pop_front()) woken.push_back(w);
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
