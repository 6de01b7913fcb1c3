// Event: asyncio.Event. set() wakes every waiter; wait() on a set event returns
// at once; clear() makes later waits block again. Safe across threads: set()
// may be called from any thread, even one outside the loop.
#pragma once

#include <atomic>
#include <mutex>

#include "runtime/detail/direct_wait.hpp"
#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime {

class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // How wait() waits (see detail/direct_wait.hpp).
  struct WaitForSet {
    using result_type = void;
    Event* ev;
    bool try_now() noexcept { return ev->is_set(); }
    auto park_hook(detail::Waiter& w) noexcept {
      auto ready = [e = ev] { return e->set_.load(std::memory_order_relaxed); };
      return detail::ParkHook<decltype(ready)>{ev->m_, ev->waiters_, ready, w};
    }
    void result() noexcept {}
  };

  void set();
  void clear() noexcept;
  bool is_set() const noexcept { return set_.load(std::memory_order_acquire); }
  // `co_await event.wait();`
  Wait<WaitForSet> wait() noexcept { return Wait<WaitForSet>(WaitForSet{this}); }
  std::size_t waiters() const noexcept;

 private:
  mutable std::mutex m_;
  std::atomic<bool> set_ = false;  // changed under m_; read without it by is_set()
  detail::WaitQueue waiters_;
};

}  // namespace runtime
