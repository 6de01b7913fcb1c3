#include "runtime/event.hpp"

namespace runtime {

void Event::set() {
  detail::WaitQueue woken;
  {
    std::lock_guard lk(m_);
    set_ = true;
    while (auto* w = waiters_.pop_front()) woken.push_back(w);
  }
  // Waiters resume in the order they started waiting.
  while (auto* w = woken.pop_front()) w->complete({});
}

void Event::clear() noexcept {
  std::lock_guard lk(m_);
  set_ = false;
}

bool Event::is_set() const noexcept {
  std::lock_guard lk(m_);
  return set_;
}

Task<void> Event::wait() {
  {
    std::lock_guard lk(m_);
    if (set_) co_return;
  }
  co_await detail::park(m_, waiters_, [this] { return set_; });
}

std::size_t Event::waiters() const noexcept {
  std::lock_guard lk(m_);
  return waiters_.size();
}

}  // namespace runtime
