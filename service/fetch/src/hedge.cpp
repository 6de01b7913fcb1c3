#include "hedge.hpp"

namespace asyncfetch {

bool HedgeGate::claim(unsigned leg) {
  {
    std::lock_guard lk(m_);
    if (winner_ >= 0) return winner_ == static_cast<int>(leg);
    winner_ = static_cast<int>(leg);
  }
  decided.set();
  return true;
}

bool HedgeGate::start_hedge() {
  std::lock_guard lk(m_);
  if (winner_ >= 0 || ended_[0]) return false;
  hedge_started_ = true;
  return true;
}

bool HedgeGate::ended_without_head(unsigned leg) {
  std::lock_guard lk(m_);
  ended_[leg] = true;
  const unsigned other = 1 - leg;
  const bool other_running = (other == 0 || hedge_started_) && !ended_[other];
  return !other_running;
}

bool HedgeGate::won(unsigned leg) const {
  std::lock_guard lk(m_);
  return winner_ == static_cast<int>(leg);
}

bool HedgeGate::hedged() const {
  std::lock_guard lk(m_);
  return hedge_started_;
}

runtime::Task<void> lost(HedgeGate& gate, unsigned leg) {
  co_await gate.decided.wait();
  if (gate.won(leg)) co_await give_way();  // this leg won: only the race ends it
}

runtime::Task<void> give_way() {
  runtime::Event never;
  co_await never.wait();
}

}  // namespace asyncfetch
