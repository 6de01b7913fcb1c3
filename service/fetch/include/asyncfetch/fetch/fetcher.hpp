// The outbound side: fetches one URL with Beast, over http or https, through
// the egress guard, a keep-alive connection pool, redirects and retries,
// decoding the body's content codings as it arrives.
//
// Errors here are data, not exceptions: every failure becomes a FetchResult
// with a FetchError, cancellation included.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "asyncfetch/config.hpp"
#include "asyncfetch/telemetry/stats.hpp"
#include "asyncfetch/wire/egress_policy.hpp"
#include "asyncfetch/wire/fetch_result.hpp"
#include "asyncfetch/wire/trace_context.hpp"
#include "runtime/task.hpp"

namespace asyncfetch {

struct FetchOptions {
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  bool include_body = false;
  unsigned retries = 0;
  std::chrono::milliseconds timeout{10000};  // for the URL, all tries and redirects included
  bool decode = true;  // offer Accept-Encoding (unless `headers` has one) and decode the body
  bool include_headers = false;
  bool include_timings = false;
  std::optional<TraceContext> trace;  // each request sent carries a child of it; none: no traceparent
};

class Fetcher {
 public:
  // Counts the upstream connections it opens and reuses, and its TLS
  // handshakes, in `stats`.
  Fetcher(const Config& config, EgressPolicy policy, Stats& stats);
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  runtime::Task<FetchResult> fetch(std::string url, const FetchOptions& options);

  // Closes every idle pooled connection (at the end of a drain).
  void close_idle();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace asyncfetch
