// InFlight: how many things are in flight now, and the most there have been
// at once. Lock-free, for counts that tasks on several loop threads update.
#pragma once

#include <atomic>
#include <cstddef>

namespace asyncfetch {

class InFlight {
 public:
  void enter() noexcept {
    const std::size_t now = now_.fetch_add(1, std::memory_order_relaxed) + 1;
    std::size_t seen = peak_.load(std::memory_order_relaxed);
    while (now > seen && !peak_.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
  }
  void leave() noexcept { now_.fetch_sub(1, std::memory_order_relaxed); }

  std::size_t now() const noexcept { return now_.load(std::memory_order_relaxed); }
  std::size_t peak() const noexcept { return peak_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::size_t> now_{0};
  std::atomic<std::size_t> peak_{0};
};

}  // namespace asyncfetch
