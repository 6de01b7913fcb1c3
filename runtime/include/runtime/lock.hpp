// Lock: asyncio.Lock. An async mutex, FIFO-fair, held through an RAII guard.
//
//   auto guard = co_await lock.acquire();   // async with lock:
//   ...                                      // released when `guard` dies
//
// Release hands the lock straight to the longest waiter, so nobody barges in
// ahead of the queue. Cancelling a waiting task takes it out of the queue and
// leaves the lock as it was. Safe to share between tasks on several threads.
#pragma once

#include <mutex>

#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime {

class Lock {
 public:
  class Guard {
   public:
    Guard() = default;
    Guard(Guard&& o) noexcept : lock_(std::exchange(o.lock_, nullptr)) {}
    Guard& operator=(Guard&& o) noexcept {
      if (this != &o) {
        unlock();
        lock_ = std::exchange(o.lock_, nullptr);
      }
      return *this;
    }
    ~Guard() { unlock(); }
    bool owns_lock() const noexcept { return lock_ != nullptr; }
    void unlock() noexcept {
      if (lock_) std::exchange(lock_, nullptr)->release();
    }

   private:
    friend class Lock;
    explicit Guard(Lock* l) noexcept : lock_(l) {}
    Lock* lock_ = nullptr;
  };

  Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  // Waits for the lock (FIFO) and returns the guard that holds it.
  Task<Guard> acquire();
  // Takes the lock only if it is free and nobody is queued.
  bool try_acquire(Guard& out) noexcept;

  bool locked() const noexcept;
  std::size_t waiters() const noexcept;

 private:
  void release() noexcept;

  mutable std::mutex m_;
  bool locked_ = false;
  detail::WaitQueue waiters_;
};

}  // namespace runtime
