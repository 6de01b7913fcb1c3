// sleep: asyncio.sleep. Suspends only the calling task; the loop runs others
// meanwhile. sleep(0) (or any non-positive duration) just yields one turn of
// the loop to the other ready tasks. Cancelling the task interrupts the sleep.
#pragma once

#include <chrono>

#include "runtime/task.hpp"

namespace runtime {

Task<void> sleep(std::chrono::steady_clock::duration d);

// Any chrono duration, including fractional seconds: sleep(std::chrono::duration<double>(0.5)).
template <class Rep, class Period>
Task<void> sleep(std::chrono::duration<Rep, Period> d) {
  return sleep(std::chrono::duration_cast<std::chrono::steady_clock::duration>(d));
}

// One turn of the loop for everybody else (asyncio's `await asyncio.sleep(0)`).
Task<void> yield();

}  // namespace runtime
