// Which endpoint a request is for. Checks the method (405 with Allow) and, on
// /stats, /metrics and /fetch, the bearer token (401); answers /healthz,
// /readyz, /stats and /metrics itself and hands POST /fetch to the
// FetchHandler; anything else is 404.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>

#include "asyncfetch/config.hpp"
#include "asyncfetch/telemetry/stats.hpp"
#include "drain_control.hpp"
#include "fetch_handler.hpp"
#include "reply.hpp"
#include "request_context.hpp"
#include "runtime/event.hpp"
#include "runtime/task.hpp"

namespace asyncfetch {

class Router {
 public:
  Router(const Config& config, Stats& stats, const runtime::Event& ready, const DrainControl& drain,
         FetchHandler& fetch)
      : config_(config), stats_(stats), ready_(ready), drain_(drain), fetch_(fetch) {}

  runtime::Task<Handled> route(Request& req, boost::beast::tcp_stream& stream, const RequestContext& context);

 private:
  bool authorized(const Request& req) const;
  // What /readyz answers and the asyncfetch_ready gauge of /metrics shows.
  bool ready() const;

  const Config& config_;
  Stats& stats_;
  const runtime::Event& ready_;
  const DrainControl& drain_;
  FetchHandler& fetch_;
};

}  // namespace asyncfetch
