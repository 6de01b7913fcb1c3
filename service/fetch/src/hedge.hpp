// Hedged tries (hedge_after_ms): the rule between the first try of a URL and
// the second one started when the first has no response head after that
// long. The first response head wins; the other try is cancelled. A try that
// ends without a head (a refused connect, a reset) leaves the other to answer,
// unless the other has ended the same way or was never started.
//
// The legs may run on different loop threads (race gives each a strand), so
// the gate's state is behind a mutex; its events are the runtime's.
#pragma once

#include <mutex>

#include "runtime/event.hpp"
#include "runtime/task.hpp"

namespace asyncfetch {

class HedgeGate {
 public:
  // A leg's response head arrived: true when it is the first (it wins), false
  // when the other leg's came before.
  bool claim(unsigned leg);
  // The second leg is about to start: false when it must not (a head came,
  // or the first leg has ended).
  bool start_hedge();
  // A leg ended without a response head: true when its result is the try's
  // (no other leg can still answer), false when it should give way.
  bool ended_without_head(unsigned leg);

  // After `decided`: whether `leg` is the one that claimed.
  bool won(unsigned leg) const;
  bool hedged() const;
  // Set once a leg has claimed.
  runtime::Event decided;

 private:
  mutable std::mutex m_;
  int winner_ = -1;
  bool hedge_started_ = false;
  bool ended_[2] = {false, false};
};

// One try of a hedged pair: 0 the first, 1 the hedge.
struct HedgeLeg {
  HedgeGate* gate;
  unsigned index;
  bool claim() const { return gate->claim(index); }
};

// Ends when the other leg has claimed (this leg lost); never when this one did.
runtime::Task<void> lost(HedgeGate& gate, unsigned leg);

// Waits until cancelled: a leg that has given way parks here, and the race
// over the legs cancels it once the winner is done.
runtime::Task<void> give_way();

}  // namespace asyncfetch
