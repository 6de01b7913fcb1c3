// A misbehaving upstream on plain POSIX sockets (cpp-httplib cannot be made to
// misbehave): it listens on 127.0.0.1, a free port, and every connection it
// accepts gets the same treatment. It counts the connections open right now,
// so a test can see the service close them.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace it {

class RawUpstream {
 public:
  enum class Mode {
    garbage,  // reads the request, answers bytes that are not HTTP, closes
    reset,    // reads the request, sends half a response, then resets (SO_LINGER 0)
    silent,   // accepts, reads whatever comes, never writes; closes when the peer does
    reset_in_headers,  // reads the request, sends part of a status line and headers, then resets
    endless_chunked,   // reads the request, then a chunked body of 1 KiB chunks every 5 ms, forever
    huge_headers,      // reads the request, then a status line and 1 MiB of header lines
    canned,            // reads the request, sends the bytes given, waits for the peer to close
  };

  explicit RawUpstream(Mode mode, std::string canned = {});
  ~RawUpstream();
  RawUpstream(const RawUpstream&) = delete;
  RawUpstream& operator=(const RawUpstream&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "/") const;
  int open_connections() const { return open_; }
  int accepted() const { return accepted_; }
  // The head of the last request read (what the service sent).
  std::string last_request() const;
  // Bytes this side managed to write, over all connections.
  long bytes_sent() const { return sent_; }

 private:
  void accept_loop();
  void serve(int fd);

  Mode mode_;
  std::string canned_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> open_{0};
  std::atomic<int> accepted_{0};
  std::atomic<long> sent_{0};
  mutable std::mutex m_;
  std::string last_request_;
  std::vector<std::thread> conns_;
  std::thread acceptor_;
};

// A loopback listener whose accept queue is full (backlog 0, never accepts,
// filled by connections of its own): the kernel drops new SYNs, so a connect
// to it hangs until the connecting side gives up — a connect timeout on demand.
class FullBacklog {
 public:
  // On `address` ("127.0.0.1", "::1"), `port` (0: a free one).
  explicit FullBacklog(const std::string& address = "127.0.0.1", int port = 0);
  ~FullBacklog();
  FullBacklog(const FullBacklog&) = delete;
  FullBacklog& operator=(const FullBacklog&) = delete;
  int port() const { return port_; }
  std::string url(const std::string& path = "/") const;

 private:
  std::string address_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::vector<int> fillers_;
};

// A loopback port nobody listens on (bound, then closed): connecting is refused.
int closed_port();

}  // namespace it
