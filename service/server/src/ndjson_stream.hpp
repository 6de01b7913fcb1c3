// A /fetch answer as NDJSON: a 200 head with chunked transfer coding (and
// X-Request-Id) at once, then one chunk per result line as the results come,
// then the summary line and the last chunk. Each write must finish within `timeout`. Each step
// returns none when written, else why it failed (see cut_by); after a failed
// one nothing more should be written.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "asyncfetch/wire/fetch_result.hpp"
#include "reply.hpp"
#include "runtime/task.hpp"

namespace asyncfetch {

class NdjsonStream {
 public:
  NdjsonStream(boost::beast::tcp_stream& stream, unsigned version, bool keep_alive, std::chrono::milliseconds timeout,
               std::string request_id)
      : stream_(stream),
        version_(version),
        keep_alive_(keep_alive),
        timeout_(timeout),
        request_id_(std::move(request_id)) {}

  runtime::Task<std::optional<Cut>> begin();
  // One line, its '\n' included.
  runtime::Task<std::optional<Cut>> line(std::string_view text);
  // {"summary":{...}}, then the end of the body.
  runtime::Task<std::optional<Cut>> end(const FanOutSummary& summary);

 private:
  boost::beast::tcp_stream& stream_;
  const unsigned version_;
  const bool keep_alive_;
  const std::chrono::milliseconds timeout_;
  const std::string request_id_;
};

}  // namespace asyncfetch
