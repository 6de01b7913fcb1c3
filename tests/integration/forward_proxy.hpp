// A forward proxy the tests control, on plain POSIX sockets: CONNECT opens a
// tunnel (https), an absolute-form request is relayed in origin form (http).
// It records every request line it was asked and the Proxy-Authorization it
// got, so a test sees what reached the proxy - and what did not.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace it {

class ForwardProxy {
 public:
  enum class Mode {
    relay,        // tunnels and relays
    refuse,       // answers every request 403
    auth,         // 407 unless Proxy-Authorization is `expected_auth`, then relays
    garbage,      // answers CONNECT with bytes that are not HTTP
    silent,       // reads the request, never answers
  };

  explicit ForwardProxy(Mode mode = Mode::relay, std::string expected_auth = {});
  ~ForwardProxy();
  ForwardProxy(const ForwardProxy&) = delete;
  ForwardProxy& operator=(const ForwardProxy&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT", with "user:password@" when given.
  std::string url(const std::string& userinfo = {}) const;

  // Request lines received ("CONNECT 127.0.0.1:4443 HTTP/1.1", "GET http://... HTTP/1.1"), in order.
  std::vector<std::string> requests() const;
  // Proxy-Authorization values received ("" for a request without one), in order.
  std::vector<std::string> authorizations() const;
  // The head the origin got for the last relayed http request (after the rewrite).
  std::string last_relayed_head() const;
  int accepted() const { return accepted_; }

 private:
  void accept_loop();
  void serve(int fd);
  void relay_http(int client, const std::string& head, const std::string& rest);
  void tunnel(int client, const std::string& authority);

  Mode mode_;
  std::string expected_auth_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  mutable std::mutex m_;
  std::vector<std::string> requests_, authorizations_;
  std::string last_relayed_head_;
  std::vector<std::thread> conns_;
  std::thread acceptor_;
};

}  // namespace it
