// One inbound connection: its requests read one after another (keep-alive,
// pipelining), each handed to the Router, its reply written and one JSON log
// line written for it. A request must arrive whole within idle_timeout_ms
// (slow clients are cut); one over max_header_bytes or max_request_bytes, or
// malformed, gets 431, 413 or 400 and the connection closes.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "asyncfetch/config.hpp"
#include "runtime/semaphore.hpp"
#include "runtime/task.hpp"

namespace asyncfetch {

class DrainControl;
class Router;

// Runs until the client leaves, the connection idles out, or a drain ends it
// between requests. `permit` (a max_connections slot) is held until then.
runtime::Task<void> serve_connection(boost::asio::ip::tcp::socket accepted, runtime::Semaphore::Permit permit,
                                     const Config& config, Router& router, DrainControl& drain);

}  // namespace asyncfetch
