#include "upstream.hpp"

#include <sys/socket.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>

namespace it {

namespace {

using Clock = std::chrono::steady_clock;

// Counts one request in flight for as long as it lives.
struct InFlight {
  explicit InFlight(std::shared_ptr<Upstream::Counters> c) : c_(std::move(c)) {
    ++c_->requests;
    int now = ++c_->in_flight;
    for (int seen = c_->max_in_flight; now > seen && !c_->max_in_flight.compare_exchange_weak(seen, now);) {
    }
  }
  ~InFlight() { --c_->in_flight; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::shared_ptr<Upstream::Counters> c_;
};

long param(const httplib::Request& req, const char* name, long fallback) {
  if (!req.has_param(name)) return fallback;
  return std::stol(req.get_param_value(name));
}

// The request's headers as a JSON object, names lower-cased.
nlohmann::json lower_cased_headers(const httplib::Request& req) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : req.headers) {
    std::string name = k;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
    j[name] = v;
  }
  return j;
}

// Sleeps in small steps so that stopping the fixture never waits for a long delay.
void nap(const Upstream::Counters& c, std::chrono::milliseconds d) {
  auto until = Clock::now() + d;
  while (!c.stopping && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

}  // namespace

Upstream::Upstream(std::optional<TlsFiles> tls, int keep_alive_s) : tls_(tls.has_value()), counters_(std::make_shared<Counters>()) {
  if (tls) {
    server_ = std::make_unique<httplib::SSLServer>(tls->cert.c_str(), tls->key.c_str());
    if (!server_->is_valid()) throw std::runtime_error("TLS upstream: cannot load " + tls->cert);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  auto& s = *server_;
  // One thread per connection in practice: the service keeps idle keep-alive
  // connections, and each pins a thread here; a small pool would queue
  // requests and hide the concurrency being measured.
  s.new_task_queue = [] { return new httplib::ThreadPool(256); };
  s.set_keep_alive_timeout(keep_alive_s);
  auto c = counters_;

  s.Get("/bytes", [c](const httplib::Request& req, httplib::Response& res) {
    InFlight f(c);
    res.set_content(std::string(static_cast<std::size_t>(param(req, "n", 0)), 'x'), "application/octet-stream");
  });
  s.Get("/delay", [c](const httplib::Request& req, httplib::Response& res) {
    InFlight f(c);
    nap(*c, std::chrono::milliseconds(param(req, "ms", 0)));
    res.set_content("ok", "text/plain");
  });
  s.Get("/meet", [c](const httplib::Request& req, httplib::Response& res) {
    InFlight f(c);
    const int n = static_cast<int>(param(req, "n", 1));
    const auto until = Clock::now() + std::chrono::milliseconds(param(req, "ms", 10000));
    while (!c->stopping && c->max_in_flight < n && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    res.set_content(c->max_in_flight >= n ? "met" : "alone", "text/plain");
  });
  s.Get("/status", [c](const httplib::Request& req, httplib::Response& res) {
    InFlight f(c);
    res.status = static_cast<int>(param(req, "code", 200));
  });
  auto redirect = [c](const httplib::Request& req, httplib::Response& res) {
    InFlight f(c);
    res.status = static_cast<int>(param(req, "code", 302));
    res.set_header("Location", req.get_param_value("to"));
  };
  s.Get("/redirect", redirect);
  s.Post("/redirect", redirect);
  s.Get("/redirect-chain", [c](const httplib::Request& req, httplib::Response& res) {
    InFlight f(c);
    long n = param(req, "n", 0);
    if (n > 0) {
      res.status = 302;
      res.set_header("Location", "/redirect-chain?n=" + std::to_string(n - 1));
    } else {
      res.set_content("done", "text/plain");
    }
  });
  s.Get("/redirect-loop", [c](const httplib::Request&, httplib::Response& res) {
    InFlight f(c);
    res.status = 302;
    res.set_header("Location", "/redirect-loop");
  });
  s.Get("/slow-body", [c](const httplib::Request& req, httplib::Response& res) {
    // The count lives as long as the body is being written, not the handler.
    auto f = std::make_shared<InFlight>(c);
    auto until = Clock::now() + std::chrono::milliseconds(param(req, "ms", 1000));
    // Not a type cpp-httplib compresses: its compressor would hold the drip
    // back, and a write would no longer tell that the peer has gone.
    res.set_chunked_content_provider(
        "application/octet-stream",
        [c, f, until](std::size_t, httplib::DataSink& sink) {
          if (c->stopping || Clock::now() >= until) {
            sink.done();
            return true;
          }
          if (!sink.write("x", 1)) return false;  // the peer went away
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          return true;
        },
        [f](bool) mutable { f.reset(); });
  });
  s.Get("/headers", [c](const httplib::Request& req, httplib::Response& res) {
    InFlight f(c);
    res.set_content(lower_cased_headers(req).dump(), "application/json");
  });
  auto hits = std::make_shared<std::pair<std::mutex, std::map<std::string, long>>>();
  s.Get("/retry-after", [c, hits](const httplib::Request& req, httplib::Response& res) {
    InFlight f(c);
    long n;
    {
      std::lock_guard lk(hits->first);
      n = ++hits->second[req.get_param_value("key")];
    }
    if (n <= param(req, "fail", 1)) {
      res.status = 503;
      res.set_header("Retry-After", "1");
      res.set_content("busy", "text/plain");
    } else {
      res.set_content("ok", "text/plain");
    }
  });
  auto echo = [c](const httplib::Request& req, httplib::Response& res) {
    InFlight f(c);
    nlohmann::json j = {
        {"method", req.method}, {"target", req.target}, {"headers", lower_cased_headers(req)}, {"body", req.body}};
    res.set_content(j.dump(), "application/json");
  };
  s.Get("/echo", echo);
  s.Post("/echo", echo);
  s.Put("/echo", echo);
  s.Patch("/echo", echo);
  s.Delete("/echo", echo);
  s.Options("/echo", echo);
  auto hang_first = [c, hits](const httplib::Request& req, httplib::Response& res) {
    InFlight f(c);
    long n;
    {
      std::lock_guard lk(hits->first);
      n = ++hits->second["hang-first:" + req.get_param_value("key")];
    }
    if (n == 1) nap(*c, std::chrono::milliseconds(param(req, "ms", 10000)));
    res.set_content("ok", "text/plain");
  };
  s.Get("/hang-first", hang_first);
  s.Post("/hang-first", hang_first);
  s.Get(R"(/canned/.+)", [c, canned = canned_](const httplib::Request& req, httplib::Response& res) {
    InFlight f(c);
    std::lock_guard lk(canned->m);
    const auto it = canned->by_path.find(req.path);
    if (it == canned->by_path.end()) {
      res.status = 404;
      return;
    }
    std::string type = "application/octet-stream";
    for (const auto& [name, value] : it->second.fields) {
      if (name == "Content-Type") {
        type = value;
      } else {
        res.set_header(name.c_str(), value);
      }
    }
    res.set_content(it->second.body, type.c_str());
  });
  s.Get("/stats", [c](const httplib::Request&, httplib::Response& res) {
    nlohmann::json j = {{"in_flight", c->in_flight.load()},
                        {"max_in_flight", c->max_in_flight.load()},
                        {"requests", c->requests.load()}};
    res.set_content(j.dump(), "application/json");
  });

  // cpp-httplib listens with a backlog of 5, compiled into Debian's library
  // (CPPHTTPLIB_LISTEN_BACKLOG cannot change it): a burst of connections from
  // the service (check_recovered's 64 at once) then lost handshakes to the
  // full accept queue and waited for retransmits, seconds apart, past the
  // fetch's timeout. The listening socket is noted as it is made and listen()
  // called again on it with a deep backlog.
  auto listening = std::make_shared<socket_t>(INVALID_SOCKET);
  s.set_socket_options([listening](socket_t sock) {
    httplib::default_socket_options(sock);
    *listening = sock;
  });
  port_ = s.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("upstream: cannot bind 127.0.0.1");
  if (*listening == INVALID_SOCKET || ::listen(*listening, 1024) != 0)
    throw std::runtime_error("upstream: cannot deepen the listen backlog");
  thread_ = std::thread([&s] { s.listen_after_bind(); });
  auto until = Clock::now() + std::chrono::seconds(5);
  while (!s.is_running() && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!s.is_running()) {
    s.stop();
    thread_.join();
    throw std::runtime_error("upstream: did not start");
  }
}

Upstream::~Upstream() {
  counters_->stopping = true;
  server_->stop();
  thread_.join();
}

void Upstream::canned(const std::string& path, std::string body,
                      std::vector<std::pair<std::string, std::string>> fields) {
  std::lock_guard lk(canned_->m);
  canned_->by_path[path] = Canned{std::move(body), std::move(fields)};
}

std::string Upstream::url(const std::string& path, const std::string& host) const {
  return std::string(tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_) + path;
}

}  // namespace it
