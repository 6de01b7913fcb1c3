#include "runtime/lock.hpp"

namespace runtime {

Task<Lock::Guard> Lock::acquire() {
  Guard g;
  if (try_acquire(g)) co_return g;
  // Either we find it free under the mutex, or release() hands it to us.
  auto ready = [this] {
    if (locked_ || !waiters_.empty()) return false;
    locked_ = true;
    return true;
  };
  detail::Waiter w;
  co_await detail::ParkHook{m_, waiters_, ready, w};
  w.check();
  co_return Guard(this);
}

bool Lock::try_acquire(Guard& out) noexcept {
  std::lock_guard lk(m_);
  if (locked_ || !waiters_.empty()) return false;
  locked_ = true;
  out = Guard(this);
  return true;
}

void Lock::release() noexcept {
  detail::Waiter* next;
  {
    std::lock_guard lk(m_);
    next = waiters_.pop_front();
    if (!next) locked_ = false;  // otherwise ownership passes to `next`
  }
  if (next) next->complete({});
}

bool Lock::locked() const noexcept {
  std::lock_guard lk(m_);
  return locked_;
}

std::size_t Lock::waiters() const noexcept {
  std::lock_guard lk(m_);
  return waiters_.size();
}

}  // namespace runtime
