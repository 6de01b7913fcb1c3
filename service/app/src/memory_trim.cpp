#include "memory_trim.hpp"

#include <malloc.h>
#include <unistd.h>

#include <fstream>

#include "asyncfetch/telemetry/log.hpp"
#include "runtime/sleep.hpp"
#include "runtime/to_thread.hpp"

namespace asyncfetch {

namespace {

double resident_mb() {
  long pages = 0, resident = 0;
  std::ifstream("/proc/self/statm") >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

}  // namespace

runtime::Task<void> trim_memory_when_quiet(Stats& stats, std::chrono::milliseconds quiet) {
  std::uint64_t seen = 0;  // fetches started as of the last look
  bool dirty = false;      // fetches ran since the last trim
  for (;;) {
    co_await runtime::sleep(quiet);
    const auto s = co_await stats.snapshot();
    if (s.fetches_total != seen) {
      seen = s.fetches_total;
      dirty = true;
      continue;  // not quiet for a whole period yet
    }
    if (!dirty || s.in_flight != 0) continue;
    dirty = false;
    const double before = resident_mb();
    // It walks every arena under its lock: off the loop threads.
    co_await runtime::to_thread([] { malloc_trim(0); });
    log::debug("memory trimmed", {{"rss_mb_before", before}, {"rss_mb_after", resident_mb()}});
  }
}

}  // namespace asyncfetch
