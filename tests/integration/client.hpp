// The client side of the tests: small blocking HTTP calls to the service on
// 127.0.0.1 (cpp-httplib), a streaming reader for NDJSON, and a raw socket
// for clients that go away mid-request.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace it {

using Json = nlohmann::json;
using Headers = std::multimap<std::string, std::string>;

struct Reply {
  int status = 0;  // 0: no HTTP response (refused, reset, timed out)
  std::string body;
  Headers headers;
  std::string header(const std::string& name) const;  // "" when absent
  Json json() const;                                   // throws on a non-JSON body
};

Reply get(int port, const std::string& path, const Headers& headers = {},
          std::chrono::milliseconds timeout = std::chrono::seconds(20));
Reply post(int port, const std::string& path, const std::string& body, const Headers& headers = {},
           std::chrono::milliseconds timeout = std::chrono::seconds(20));
Reply request(int port, const std::string& method, const std::string& path, const std::string& body = "",
              const Headers& headers = {}, std::chrono::milliseconds timeout = std::chrono::seconds(20));

// POST /fetch with `body`; the reply must be 200 with JSON (else the test fails).
Json fetch(int port, const Json& body, const Headers& headers = {});

// POST /fetch of one URL, `extra` holding the request's other fields: its one
// result (throws unless there is exactly one).
Json fetch_one(int port, const std::string& url, Json extra = Json::object());

// GET /stats as JSON.
Json stats(int port, const Headers& headers = {});

// The JSON an upstream answered (/headers, /echo), from a result of a fetch
// with include_body; throws unless the result is ok.
Json body_json(const Json& result);

// One NDJSON line as it arrived, with the time since the request was sent.
struct Line {
  Json json;
  std::chrono::milliseconds at;
};
struct Streamed {
  int status = 0;
  std::string content_type;
  std::vector<Line> lines;
};
Streamed fetch_ndjson(int port, const Json& body);

// A raw connection that sends one POST /fetch and can then be closed at will
// (a client going away without reading its answer).
class RawClient {
 public:
  RawClient(int port, const Json& body, bool ndjson = false);
  ~RawClient();
  void close();

 private:
  int fd_ = -1;
};

// A blocking TCP connection to 127.0.0.1:port, or -1 if it cannot be made.
int try_connect_loopback(int port);

// A raw connection for what an HTTP library will not do: half a request, a
// keep-alive connection left open, a stream of bytes read as it comes.
class RawConn {
 public:
  explicit RawConn(int port);
  ~RawConn();
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;
  void send(const std::string& bytes);
  // Reads until the peer closes or `bound` passes; `closed` tells which.
  std::string read_until_close(std::chrono::milliseconds bound, bool& closed);
  // Reads until `text` has arrived (or close/`bound`); returns all that came.
  std::string read_until(const std::string& text, std::chrono::milliseconds bound);

 private:
  int fd_ = -1;
};

// Polls `cond` every 5 ms until it is true or `bound` passes; returns its last value.
template <class F>
bool eventually(F cond, std::chrono::milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  for (;;) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    struct timespec ts{0, 5'000'000};
    nanosleep(&ts, nullptr);
  }
}

}  // namespace it
