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
  auto ready = [this] { return set_; };
  detail::Waiter w;
  co_await detail::ParkHook{m_, waiters_, ready, w};
  w.check();
}

std::size_t Event::waiters() const noexcept {
  std::lock_guard lk(m_);
  return waiters_.size();
}

}  // namespace runtime
