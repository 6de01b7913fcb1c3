// POST /fetch: waits for readiness (up to ready_wait_ms), refuses work while
// draining, parses the body, admits the request (429 when the service-wide
// queue is full), runs its fan-out and answers with one JSON document or, when
// the client accepts application/x-ndjson, a line per result as each
// completes. A client that goes away before its answer cancels its fetches.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>

#include "asyncfetch/config.hpp"
#include "asyncfetch/fetch/fan_out.hpp"
#include "asyncfetch/telemetry/stats.hpp"
#include "asyncfetch/wire/fetch_request.hpp"
#include "drain_control.hpp"
#include "reply.hpp"
#include "request_context.hpp"
#include "runtime/event.hpp"
#include "runtime/task.hpp"

namespace asyncfetch {

class FetchHandler {
 public:
  FetchHandler(const Config& config, FanOut& fan_out, Stats& stats, runtime::Event& ready, const DrainControl& drain);

  runtime::Task<Handled> handle(Request& req, boost::beast::tcp_stream& stream, const RequestContext& context);

 private:
  const Config& config_;
  const FetchRequestRules rules_;
  FanOut& fan_out_;
  Stats& stats_;
  runtime::Event& ready_;
  const DrainControl& drain_;
};

}  // namespace asyncfetch
