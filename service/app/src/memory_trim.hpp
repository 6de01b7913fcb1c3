// Gives freed heap memory back to the OS once the service goes quiet.
//
// glibc keeps what a burst freed (thousands of coroutine frames, buffers and
// results) for reuse, so without this the RSS stays at the burst's high-water
// mark for good. Trimming on every request would cost the busy service page
// faults instead; so it is done once per quiet spell: when fetches have run
// and then none started for a whole `quiet` period and none is in flight.
#pragma once

#include <chrono>

#include "asyncfetch/telemetry/stats.hpp"
#include "runtime/task.hpp"

namespace asyncfetch {

// Runs until cancelled. `quiet` > 0.
runtime::Task<void> trim_memory_when_quiet(Stats& stats, std::chrono::milliseconds quiet);

}  // namespace asyncfetch
