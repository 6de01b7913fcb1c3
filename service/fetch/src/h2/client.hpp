// Client: the fetcher's way into HTTP/2. One exchange() is one request on an
// https origin: on a stream of a connection the origin already has, of one
// another fetch is making, or of one this fetch makes with the connect
// function it is given (which offers h2 in ALPN). When the server picks
// HTTP/1.1 instead, or is known to, the exchange hands the fetch back to
// HTTP/1.1, with the fresh connection if one was made.
//
// Errors are data, as in the fetcher: a FetchError in the outcome; a
// cancellation of the calling task is thrown (after resetting its stream).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asyncfetch/wire/fetch_error.hpp"
#include "asyncfetch/wire/h2_request_headers.hpp"
#include "connection_pool.hpp"
#include "h2/connection.hpp"
#include "h2/registry.hpp"
#include "runtime/task.hpp"

namespace asyncfetch::h2 {

// What the connect function gives: a TLS connection that has shaken hands, or why not.
struct Dialed {
  std::unique_ptr<asyncfetch::Connection> connection;
  std::optional<FetchError> error;
  std::string detail;
};
using Connect = std::function<runtime::Task<Dialed>()>;

struct Outcome {
  // Over HTTP/2: the stream, with its answer or its error.
  std::shared_ptr<Stream> stream;
  // No stream came to be (the connect failed, or time ran out waiting); or,
  // with a stream, the deadline came before its end: this error stands, and
  // the stream holds what arrived in time.
  std::optional<FetchError> error;
  std::string detail;
  // Neither: the origin speaks HTTP/1.1; the connection made to find out, if any.
  std::unique_ptr<asyncfetch::Connection> http1;
  // The stream went on a connection this exchange did not make.
  bool reused = false;
};

class Client {
 public:
  Client(Session::Limits limits, std::chrono::milliseconds idle_timeout) : registry_(limits, idle_timeout) {}

  struct Request {
    std::vector<H2Field> headers;
    std::uint64_t max_body_bytes = 0;
    bool keep_body = false;
    bool decode = false;
    std::string_view body;  // copied into each stream that sends it
  };
  // `request`'s headers move into the stream that sends them.
  runtime::Task<Outcome> exchange(const std::string& origin, Request request,
                                  std::chrono::steady_clock::time_point deadline, const Connect& connect);

  void close_idle() { registry_.close_idle(); }

 private:
  runtime::Task<Outcome> make_connection(const std::string& origin, std::shared_ptr<PendingConnect> pending,
                                         std::chrono::steady_clock::time_point deadline, const Connect& connect,
                                         std::shared_ptr<Connection>& made);
  Registry registry_;
};

// True when the TLS handshake of `tls` chose h2 (ALPN).
bool negotiated_h2(const Connection::TlsStream& tls);

}  // namespace asyncfetch::h2
