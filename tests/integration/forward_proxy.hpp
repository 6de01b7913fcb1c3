// A forward proxy the tests control, on plain POSIX sockets: CONNECT opens a
// tunnel (https), an absolute-form request is relayed in origin form (http).
// It records every request line it was asked and the Proxy-Authorization it
// got, so a test sees what reached the proxy - and what did not.
#pragma once

#include <atomic>
#include <cstddef>
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
    tls_garbage,  // answers 200 to CONNECT, then bytes that are not TLS once the client has spoken
    eager,        // answers 200 to CONNECT and, in the same write, bytes that are not the target's
    cut,          // tunnels, and closes both ends once cut_after() bytes have gone to the client
  };

  explicit ForwardProxy(Mode mode = Mode::relay, std::string expected_auth = {});
  ~ForwardProxy();
  ForwardProxy(const ForwardProxy&) = delete;
  ForwardProxy& operator=(const ForwardProxy&) = delete;

  // For the connections accepted from now on: a hostile proxy turns healthy.
  void set_mode(Mode mode) { mode_ = mode; }
  // Mode::cut: how many bytes from the target reach the client before the cut.
  void cut_after(std::size_t bytes) { cut_after_ = bytes; }

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
  // Connections the client closed while the proxy (refuse, garbage, silent,
  // tls_garbage, eager) held them open after its answer.
  int closed_by_client() const { return closed_by_client_; }

 private:
  void accept_loop();
  void serve(int fd);
  void relay_http(int client, const std::string& head, const std::string& rest);
  void tunnel(int client, const std::string& authority);

  bool hold_until_closed(int fd);

  std::atomic<Mode> mode_;
  std::atomic<std::size_t> cut_after_{32 * 1024};
  std::string expected_auth_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> closed_by_client_{0};
  mutable std::mutex m_;
  std::vector<std::string> requests_, authorizations_;
  std::string last_relayed_head_;
  std::vector<std::thread> conns_;
  std::thread acceptor_;
};

}  // namespace it
