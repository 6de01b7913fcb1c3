#include "runtime/barrier.hpp"

namespace runtime {

Barrier::Barrier(std::size_t parties) : parties_(parties) {
  if (parties == 0) throw std::invalid_argument("parties must be >= 1");
}

// Under m_: true when the caller goes on at once (it is the last of the
// round, or the barrier is broken); false, and it is queued, otherwise.
bool Barrier::arrive_locked(Arrive& a) noexcept {
  if (broken_) {
    a.broken = "barrier aborted";
    return true;
  }
  a.index = waiting_.size();
  if (a.index + 1 < parties_) return false;
  // The last one: the round is over, every waiter goes on with its index.
  detail::WakeList round = waiting_.take_all();
  while (auto* w = round.pop_front()) w->complete({});
  return true;
}

// Under m_: the tasks waiting in this round throw BrokenBarrierError.
void Barrier::break_round_locked(const char* why) noexcept {
  detail::WakeList round = waiting_.take_all();
  while (auto* w = round.pop_front()) {
    static_cast<Arrive*>(w->payload)->broken = why;
    w->complete({});
  }
}

void Barrier::abort() {
  std::lock_guard lk(m_);
  broken_ = true;
  break_round_locked("barrier aborted");
}

void Barrier::reset() {
  std::lock_guard lk(m_);
  broken_ = false;
  break_round_locked("barrier reset");
}

std::size_t Barrier::n_waiting() const noexcept {
  std::lock_guard lk(m_);
  return waiting_.size();
}

bool Barrier::broken() const noexcept {
  std::lock_guard lk(m_);
  return broken_;
}

}  // namespace runtime
