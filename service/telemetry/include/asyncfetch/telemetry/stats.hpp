// Service-wide counters, kept behind the runtime's Lock, and their two
// renderings: JSON for /stats and Prometheus text for /metrics.
//
// fetches_total counts fetches started, so at any moment
// fetches_total == fetches_succeeded + fetches_failed + in_flight.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "runtime/lock.hpp"
#include "runtime/task.hpp"

namespace asyncfetch {

class Stats {
 public:
  // Upper bounds (seconds) of the fetch-latency histogram; +Inf is implied.
  static constexpr std::array<double, 11> latency_buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                             0.5,   1.0,  2.5,   5.0,  10.0};
  struct Snapshot {
    std::uint64_t requests_total = 0;
    std::uint64_t fetches_total = 0;
    std::uint64_t fetches_succeeded = 0;
    std::uint64_t fetches_failed = 0;
    std::uint64_t in_flight = 0;
    std::uint64_t max_in_flight = 0;
    std::uint64_t bytes_total = 0;
    std::uint64_t rejected_total = 0;  // requests refused with 429
    double uptime_s = 0;
    std::array<std::uint64_t, latency_buckets.size() + 1> latency_counts{};  // per bucket, last is +Inf
    double latency_sum_s = 0;
  };

  runtime::Task<void> request_started();
  runtime::Task<void> request_rejected();
  runtime::Task<void> fetch_started();
  runtime::Task<void> fetch_finished(bool ok, std::uint64_t bytes, double elapsed_ms);
  runtime::Task<Snapshot> snapshot();

  static std::string to_json(const Snapshot& s);
  static std::string to_prometheus(const Snapshot& s);

 private:
  runtime::Lock lock_;
  Snapshot s_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace asyncfetch
