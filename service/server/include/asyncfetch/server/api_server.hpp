// The inbound side: an HTTP/1.1 server on Beast with keep-alive, serving
// POST /fetch, GET /healthz, /readyz, /stats and /metrics (the contract is in
// docs/api.md). Limits on header size, body size, connections and idle or
// slow clients; bearer-token auth when configured; one JSON log line per
// request. Knows nothing of how fetches are throttled: it hands a validated
// job to the FanOut.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "asyncfetch/config.hpp"
#include "asyncfetch/fetch/fan_out.hpp"
#include "asyncfetch/telemetry/stats.hpp"
#include "runtime/event.hpp"
#include "runtime/task.hpp"

namespace asyncfetch {

class ApiServer {
 public:
  ApiServer(const Config& config, FanOut& fan_out, Stats& stats, runtime::Event& ready);
  ~ApiServer();

  // Binds and listens, the acceptor on `ex`. Throws std::runtime_error
  // naming the address on failure. Returns the bound port.
  std::uint16_t listen(const runtime::Executor& ex);

  // Accepts connections, each served by a task of its own, until cancelled.
  runtime::Task<void> serve();

  // Drain: refuse new /fetch work, close idle keep-alive connections, let
  // requests in progress finish within `limit`, then cut what remains.
  // Call after the task in serve() has been cancelled.
  runtime::Task<void> drain(std::chrono::milliseconds limit);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace asyncfetch
