// Happy Eyeballs (RFC 8305): connects to the first of several addresses to
// answer, the attempts started one `delay` apart (or at once when the one
// before failed sooner), the losers closed. Internal to the fetcher.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <vector>

#include "runtime/task.hpp"

namespace asyncfetch {

struct ConnectOutcome {
  boost::system::error_code error;  // the last attempt's failure, when none connected
  bool timed_out = false;           // the deadline ended it
};

// `endpoints` in the order to try them (interleave_families); every one
// allowed already. `out` (closed) gets the winning connection.
runtime::Task<ConnectOutcome> connect_first(boost::asio::ip::tcp::socket& out,
                                            const std::vector<boost::asio::ip::tcp::endpoint>& endpoints,
                                            std::chrono::milliseconds delay,
                                            std::chrono::steady_clock::time_point deadline);

}  // namespace asyncfetch
