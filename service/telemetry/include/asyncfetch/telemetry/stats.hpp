// Service-wide counters, kept behind the runtime's Lock, and their two
// renderings: JSON for /stats and Prometheus text for /metrics.
//
// fetches_total counts fetches started, so in every snapshot
// fetches_total == fetches_succeeded + fetches_failed + in_flight.
// Finished fetches are also counted per Outcome (error code, HTTP version),
// which telemetry takes as label values: what an error is, and which versions
// there are, is the fetch side's to say.
//
// Counting never waits. An update takes the Lock when it is free; when it is
// not, the change goes to a backlog that the Lock's next holder applies before
// anything else, so changes keep the order they were made in. That is what
// lets a cancelled fetch, which can await nothing more, still be counted; and
// the count of a finished fetch, made before its permits go back, lands before
// that of the fetch that takes them.
//
// The upstream connection counters (opened, reused, TLS handshakes) are plain
// atomics beside the Lock: the fetcher counts them as they happen, and no
// /stats invariant ties them to the rest.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "asyncfetch/telemetry/in_flight.hpp"
#include "runtime/lock.hpp"
#include "runtime/task.hpp"

namespace asyncfetch {

class Stats {
 public:
  // Upper bounds (seconds) of the fetch-latency histogram; +Inf is implied.
  static constexpr std::array<double, 11> latency_buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                             0.5,   1.0,  2.5,   5.0,  10.0};
  // The labels of a finished fetch on /metrics. Both are viewed, not copied
  // (a count can wait in the backlog, and the table keeps them), so they must
  // outlive the Stats: string literals, such as to_string(FetchError)
  // returns. Plain label values: no quotes, backslashes or newlines.
  struct Outcome {
    std::string_view error;         // the error code; "none" when a whole response came, whatever its status
    std::string_view http_version;  // of the response: "1.1" or "2"; "none" when no response came
    friend auto operator<=>(const Outcome&, const Outcome&) = default;
  };
  struct OutcomeCount {
    Outcome outcome{};
    std::uint64_t count = 0;
  };

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
    // Sorted by outcome; an outcome is here once counted. A success over
    // HTTP/1.1 is here from the start, so that rate() over it has a series
    // from the first scrape on, not only from the first fetch.
    std::vector<OutcomeCount> finished = {{{"none", "1.1"}, 0}};
    std::uint64_t connections_opened = 0;  // upstream connections made (TCP connected)
    std::uint64_t connections_reused = 0;  // requests sent on a pooled keep-alive connection
    std::uint64_t tls_handshakes_full = 0;     // completed without resuming a session
    std::uint64_t tls_handshakes_resumed = 0;  // completed by resuming a session
  };

  void request_started();
  void request_rejected();
  void fetch_started();
  void fetch_finished(bool ok, std::uint64_t bytes, double elapsed_ms, Outcome outcome);
  void connection_opened() noexcept { connections_opened_.fetch_add(1, std::memory_order_relaxed); }
  void connection_reused() noexcept { connections_reused_.fetch_add(1, std::memory_order_relaxed); }
  void tls_handshake(bool resumed) noexcept {
    (resumed ? tls_resumed_ : tls_full_).fetch_add(1, std::memory_order_relaxed);
  }
  // Waits for the Lock (the one wait there is).
  runtime::Task<Snapshot> snapshot();

  static std::string to_json(const Snapshot& s);
  // `ready`: whether the service is ready (what GET /readyz says), which the
  // Stats does not know: the asyncfetch_ready gauge.
  static std::string to_prometheus(const Snapshot& s, bool ready);

 private:
  struct Change {
    enum class Kind : unsigned char { request_started, request_rejected, fetch_started, fetch_finished };
    Kind kind;
    bool ok = false;
    std::uint64_t bytes = 0;
    double elapsed_ms = 0;
    Outcome outcome{};
  };
  void record(const Change& c);
  // With lock_ held:
  void apply(const Change& c);
  void apply_backlog();

  runtime::Lock lock_;
  Snapshot s_;        // under lock_; its in-flight counts live in fetches_
  InFlight fetches_;  // under lock_

  std::mutex backlog_m_;  // held only to add or take changes, never across an await
  std::vector<Change> backlog_;
  std::atomic<bool> backlogged_{false};  // backlog_ may hold changes

  std::atomic<std::uint64_t> connections_opened_{0};
  std::atomic<std::uint64_t> connections_reused_{0};
  std::atomic<std::uint64_t> tls_full_{0};
  std::atomic<std::uint64_t> tls_resumed_{0};

  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace asyncfetch
