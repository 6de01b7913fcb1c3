#include "runtime/condition.hpp"

#include <boost/asio/this_coro.hpp>

#include <stdexcept>
#include <string>

#include "runtime/detail/loop.hpp"

namespace runtime {

Condition::Condition() : own_(std::in_place), lock_(*own_) {}

Condition::Condition(Lock& lock) noexcept : lock_(lock) {}

// How wait() parks: queued among the waiters first, then the lock released,
// so that a task taking the lock next and notifying finds this one queued.
struct Condition::Parking {
  struct Never {
    bool operator()() const noexcept { return false; }
  };
  detail::ParkHook<Never> queue;
  Lock& lock;

  bool ready_now() const noexcept { return false; }
  template <class MakeParked>
  bool park(MakeParked&& make) const {
    queue.park(std::forward<MakeParked>(make));
    // The coroutine is suspended: whoever the lock goes to, and a notify,
    // can only resume it once this returns.
    lock.release();
    return true;
  }
};

Task<void> Condition::wait(Lock::Guard& guard) {
  if (guard.lock_ != &lock_) throw std::logic_error("cannot wait on un-acquired lock");
  detail::Waiter w;
  co_await detail::park_on(Parking{{m_, waiters_, {}, w}, lock_});

  // The lock comes back whatever happened, cancellation included (asyncio:
  // "Must re-acquire lock even if wait is cancelled"): a cancellation does
  // not interrupt this wait, and the awaits here do not throw for it.
  const bool throws = co_await boost::asio::this_coro::throw_if_cancelled();
  co_await boost::asio::this_coro::throw_if_cancelled(false);
  if (!lock_.try_take()) {
    detail::Waiter relock;
    detail::OnCancel keep_waiting{[](void*) {}, nullptr};
    auto ready = [l = &lock_] { return l->take_or_queue_locked(); };
    co_await detail::park_on(
        detail::ParkHook<decltype(ready)>{lock_.m_, lock_.waiters_, ready, relock, &keep_waiting});
  }
  auto cs = co_await boost::asio::this_coro::cancellation_state;
  co_await boost::asio::this_coro::throw_if_cancelled(throws);

  w.check();  // cancelled while waiting: no notification was taken
  if (cs.cancelled() != boost::asio::cancellation_type::none) {
    // Notified, then cancelled: the notification goes to the next waiter.
    {
      std::lock_guard lk(m_);
      wake_locked(1);
    }
    detail::throw_cancelled_of(cs);
  }
}

void Condition::notify(std::size_t n) {
  check_locked("notify");
  std::lock_guard lk(m_);
  wake_locked(n);
}

void Condition::notify_all() {
  check_locked("notify");
  detail::WakeList woken;
  {
    std::lock_guard lk(m_);
    woken = waiters_.take_all();
  }
  while (auto* w = woken.pop_front()) w->complete({});
}

std::size_t Condition::waiters() const noexcept {
  std::lock_guard lk(m_);
  return waiters_.size();
}

void Condition::check_locked(const char* what) const {
  if (!lock_.locked()) throw std::logic_error(std::string("cannot ") + what + " on un-acquired lock");
}

// Under m_. Completing only posts each one's resumption.
void Condition::wake_locked(std::size_t n) noexcept {
  for (; n > 0; --n) {
    auto* w = waiters_.pop_front();
    if (!w) return;
    w->complete({});
  }
}

}  // namespace runtime
