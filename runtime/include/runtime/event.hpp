// Event: asyncio.Event. set() wakes every waiter; wait() on a set event returns
// at once; clear() makes later waits block again. Safe across threads: set()
// may be called from any thread, even one outside the loop.
#pragma once

#include <mutex>

#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime {

class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  void set();
  void clear() noexcept;
  bool is_set() const noexcept;
  Task<void> wait();
  std::size_t waiters() const noexcept;

 private:
  mutable std::mutex m_;
  bool set_ = false;
  detail::WaitQueue waiters_;
};

}  // namespace runtime
