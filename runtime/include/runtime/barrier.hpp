// Barrier: asyncio.Barrier. Tasks wait until `parties` of them have arrived,
// then all go on together; the barrier fills again for the next round.
//
//   runtime::Barrier barrier(3);
//   std::size_t i = co_await barrier.wait();   // 0, 1, 2 in order of arrival
//
// wait() returns the number of tasks that were already waiting when the
// caller arrived: the last to arrive gets parties - 1, and it does not wait;
// it releases the others, each with its own number. abort() breaks the
// barrier: the tasks waiting and every later wait() throw BrokenBarrierError,
// until reset(), which also throws it in the tasks waiting then and leaves
// the barrier empty and whole. Cancelling a waiting task takes it out of the
// round (the count goes down by one), like asyncio.
//
// Where asyncio differs: its woken tasks take the barrier's lock back one
// by one, and meanwhile ("draining", "resetting") new arrivals wait for them
// to have left before the next round begins. Here a round ends at once, in
// the call that ends it, so a task arriving afterwards starts the next round
// straight away; the indices and who is released with whom are the same. For
// the same reason abort() and reset() are plain functions here, not awaits.
// Safe to share between tasks on several loop threads.
#pragma once

#include <cstddef>
#include <mutex>
#include <stdexcept>

#include "runtime/detail/direct_wait.hpp"
#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime {

// asyncio.BrokenBarrierError.
struct BrokenBarrierError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Barrier {
 public:
  // std::invalid_argument when `parties` is 0 (asyncio's ValueError).
  explicit Barrier(std::size_t parties);
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  // How wait() waits (see detail/direct_wait.hpp): every arrival takes the
  // barrier's mutex, so there is no lock-free try first.
  struct Arrive {
    using result_type = std::size_t;
    Barrier* barrier;
    std::size_t index = 0;
    const char* broken = nullptr;  // why it throws BrokenBarrierError, if it does

    bool try_now() noexcept { return false; }
    auto park_hook(detail::Waiter& w) noexcept {
      w.payload = this;  // abort() and reset() mark it broken
      auto ready = [this] { return barrier->arrive_locked(*this); };
      return detail::ParkHook<decltype(ready)>{barrier->m_, barrier->waiting_, ready, w};
    }
    std::size_t result() const {
      if (broken) throw BrokenBarrierError(broken);
      return index;
    }
  };

  // `std::size_t index = co_await barrier.wait();`
  Wait<Arrive> wait() noexcept { return Wait<Arrive>(Arrive{this}); }

  void abort();
  void reset();

  std::size_t parties() const noexcept { return parties_; }
  std::size_t n_waiting() const noexcept;  // tasks waiting in this round
  bool broken() const noexcept;

 private:
  bool arrive_locked(Arrive& a) noexcept;
  void break_round_locked(const char* why) noexcept;

  const std::size_t parties_;
  mutable std::mutex m_;  // guards the rest
  bool broken_ = false;
  detail::WaitQueue waiting_;  // this round's arrivals but the last
};

}  // namespace runtime
