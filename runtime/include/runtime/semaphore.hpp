// Semaphore: asyncio.Semaphore. A counting semaphore, FIFO-fair, whose permits
// are RAII objects.
//
//   auto permit = co_await sem.acquire();   // async with sem:
//
// Never more holders than permits: a released permit goes straight to the
// longest waiter. Cancelling a waiting task takes it out of the queue without
// touching the count. Safe to share between tasks on several threads.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>

#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime {

class Semaphore {
 public:
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& o) noexcept : sem_(std::exchange(o.sem_, nullptr)) {}
    Permit& operator=(Permit&& o) noexcept {
      if (this != &o) {
        release();
        sem_ = std::exchange(o.sem_, nullptr);
      }
      return *this;
    }
    ~Permit() { release(); }
    explicit operator bool() const noexcept { return sem_ != nullptr; }
    void release() noexcept {
      if (sem_) std::exchange(sem_, nullptr)->release();
    }

   private:
    friend class Semaphore;
    explicit Permit(Semaphore* s) noexcept : sem_(s) {}
    Semaphore* sem_ = nullptr;
  };

  explicit Semaphore(std::size_t permits) : available_(permits) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // Waits (FIFO) for a permit.
  Task<Permit> acquire();
  // A permit now, or nothing (also nothing while others are queued: no barging).
  std::optional<Permit> try_acquire() noexcept;

  std::size_t available() const noexcept;  // free permits
  std::size_t waiters() const noexcept;    // tasks queued for one

 private:
  void release() noexcept;
  bool take_locked() noexcept;

  mutable std::mutex m_;
  std::size_t available_;
  detail::WaitQueue waiters_;
};

}  // namespace runtime
