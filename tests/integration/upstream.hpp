// A well-behaved upstream the tests control: cpp-httplib on 127.0.0.1, a free
// port, plain HTTP or TLS. It counts the requests it is serving at this moment
// and the most it ever served at once, which is how the tests measure the
// service's concurrency bounds where they matter: at the upstream.
//
// Endpoints:
//   /bytes?n=N             N bytes of 'x' (Content-Length)
//   /delay?ms=M            answers "ok" after M ms
//   /status?code=C         an empty response with status C
//   /redirect?to=U&code=C  a redirect (default 302) to U (GET or POST)
//   /redirect-chain?n=N    N redirects to itself with n-1, then 200
//   /redirect-loop         redirects to itself forever
//   /slow-body?ms=M        200, then one byte every 20 ms for M ms (chunked, never compressed);
//                          stops as soon as a write fails (the peer went away)
//   /headers               the request's headers as a JSON object (names lower-cased)
//   /retry-after?key=K&fail=F  503 with Retry-After: 1 for the first F hits of K (default 1), then 200
//   /meet?n=N&ms=M         answers "met" once N requests have been in flight here
//                          at once (max_in_flight >= N, this one included), or
//                          "alone" after M ms (default 10000): overlap made
//                          certain instead of hoped for from timing
//   /echo                  any method: {"method","target","headers" (names lower-cased),"body"}
//                          of the request as it arrived
//   /hang-first?key=K&ms=M the first request of K (any method) hangs M ms (default 10000) without
//                          answering; later ones answer "ok" at once
//   /stats                 {"in_flight":..,"max_in_flight":..,"requests":..} (not counted itself)
//   /canned/NAME           what canned() set for that path
//
// cpp-httplib compresses text and JSON answers itself (br or gzip) when the
// request's Accept-Encoding offers it, as the service's does: those answers
// reach the service encoded, by an encoder that is not the tests' own.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace httplib {
class Server;
}

namespace it {

struct TlsFiles {
  std::string cert;  // PEM chain
  std::string key;   // PEM private key
};

class Upstream {
 public:
  // `keep_alive_s`: how long an idle keep-alive connection is kept before this side closes it.
  explicit Upstream(std::optional<TlsFiles> tls = std::nullopt, int keep_alive_s = 2);
  ~Upstream();
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" + path (https for a TLS upstream); `host` may be "localhost".
  std::string url(const std::string& path, const std::string& host = "127.0.0.1") const;

  int in_flight() const { return counters_->in_flight; }
  int max_in_flight() const { return counters_->max_in_flight; }
  long requests() const { return counters_->requests; }
  void reset_max() { counters_->max_in_flight = counters_->in_flight.load(); }

  // GET `path` (under /canned/) answers 200 with `body` and these fields, as
  // given: how a test serves a body it encoded itself. The Content-Type is
  // application/octet-stream unless the fields set one (cpp-httplib
  // compresses no octet-stream).
  void canned(const std::string& path, std::string body,
              std::vector<std::pair<std::string, std::string>> fields = {});

  struct Canned {
    std::string body;
    std::vector<std::pair<std::string, std::string>> fields;
  };
  struct CannedMap {
    std::mutex m;
    std::map<std::string, Canned> by_path;
  };

  struct Counters {
    std::atomic<int> in_flight{0};
    std::atomic<int> max_in_flight{0};
    std::atomic<long> requests{0};
    std::atomic<bool> stopping{false};
  };

 private:
  bool tls_;
  int port_ = 0;
  std::shared_ptr<Counters> counters_;
  std::shared_ptr<CannedMap> canned_ = std::make_shared<CannedMap>();
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace it
