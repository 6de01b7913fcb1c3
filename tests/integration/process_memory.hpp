// A process's memory as Linux reports it in /proc/PID/status.
#pragma once

#include <sys/types.h>

#include <fstream>
#include <string>

namespace it {

// The process's peak resident size so far (VmHWM), in KiB; -1 when unknown.
inline long peak_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace it
