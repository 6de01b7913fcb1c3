// Who one API request is: its X-Request-Id (the client's when sane, else a new
// one) and the trace it is part of (the client's traceparent when valid, else
// a new trace). Every reply carries the request id, every log line of the
// request both ids, and a /fetch hands the trace on to its fetches.
#pragma once

#include "asyncfetch/telemetry/log.hpp"
#include "asyncfetch/wire/trace_context.hpp"
#include "reply.hpp"

namespace asyncfetch {

struct RequestContext {
  TraceContext trace;
  log::RequestTag tag;  // tag.request_id: the X-Request-Id
};

// From the request's head; one that has none of the fields, or either of them
// more than once, gets new ids (a partly read request too).
RequestContext request_context(const Request& req);

}  // namespace asyncfetch
