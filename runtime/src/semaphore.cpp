#include "runtime/semaphore.hpp"

namespace runtime {

bool Semaphore::take_locked() noexcept {
  if (available_ == 0 || !waiters_.empty()) return false;
  --available_;
  return true;
}

Task<Semaphore::Permit> Semaphore::acquire() {
  if (auto p = try_acquire()) co_return std::move(*p);
  // Either a permit is free under the mutex, or release() hands one to us.
  auto ready = [this] { return take_locked(); };
  detail::Waiter w;
  co_await detail::ParkHook{m_, waiters_, ready, w};
  w.check();
  co_return Permit(this);
}

std::optional<Semaphore::Permit> Semaphore::try_acquire() noexcept {
  std::lock_guard lk(m_);
  if (!take_locked()) return std::nullopt;
  return Permit(this);
}

void Semaphore::release() noexcept {
  detail::Waiter* next;
  {
    std::lock_guard lk(m_);
    next = waiters_.pop_front();
    if (!next) ++available_;  // otherwise the permit passes to `next`
  }
  if (next) next->complete({});
}

std::size_t Semaphore::available() const noexcept {
  std::lock_guard lk(m_);
  return available_;
}

std::size_t Semaphore::waiters() const noexcept {
  std::lock_guard lk(m_);
  return waiters_.size();
}

}  // namespace runtime
