// A process's memory as Linux reports it in /proc/PID/status.
#pragma once

#include <sys/types.h>

#include <fstream>
#include <string>

namespace it {

// Built with AddressSanitizer or ThreadSanitizer (scripts/test.sh): the
// service then carries the sanitizer's shadow memory and quarantine, ~100 MiB
// and more, so an absolute RSS bound would measure the sanitizer. Growth
// bounds hold in every build.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool sanitizer_build = true;
#else
inline constexpr bool sanitizer_build = false;
#endif

// The process's peak resident size so far (VmHWM), in KiB; -1 when unknown.
inline long peak_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace it
