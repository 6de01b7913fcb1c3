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
#include <string_view>
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
  // Sent with the request (Content-Length set here); a view, so that a
  // fan-out does not copy a request's body per URL: it must outlive the fetch.
  std::string_view body;
  bool include_body = false;
  unsigned retries = 0;
  std::chrono::milliseconds timeout{10000};  // for the URL, all tries and redirects included
  // Each try's own bound (a try over it fails with timeout and is retried);
  // none: a try may take all that is left of `timeout`.
  std::optional<std::chrono::milliseconds> try_timeout;
  bool decode = true;  // offer Accept-Encoding (unless `headers` has one) and decode the body
  bool include_headers = false;
  bool include_timings = false;
  std::optional<TraceContext> trace;  // each request sent carries a child of it; none: no traceparent
  // A try with no response head after this long gets a second, on a fresh
  // connection; the first head wins (GET, HEAD and OPTIONS only: the API
  // refuses it with others). None: no hedging.
  std::optional<std::chrono::milliseconds> hedge_after;
};

class Fetcher {
 public:
  // Counts the upstream connections it opens and reuses, and its TLS
  // handshakes, in `stats`.
  Fetcher(const Config& config, EgressPolicy policy, Stats& stats);
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // Fetches `url` into `result` (which starts empty), whose url is `url` with its
  // credentials masked (mask_credentials). The caller owns the result: a
  // fan-out keeps one per fetch in flight, and one copy less in every
  // coroutine frame on the way is ~1 KB less per fetch.
  runtime::Task<void> fetch(std::string url, const FetchOptions& options, FetchResult& result);

  // Closes every idle pooled connection (at the end of a drain).
  void close_idle();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace asyncfetch
