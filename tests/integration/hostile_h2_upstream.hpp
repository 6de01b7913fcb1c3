// A misbehaving HTTP/2 server: TLS (OpenSSL, the given certificate, ALPN
// "h2") on 127.0.0.1, a free port, a thread per connection that reads the
// client's frames and writes its own by hand (9-byte header + payload), so it
// can break the protocol as no HTTP/2 library would let it. Header blocks are
// HPACK made with nghttp2's deflater. Every connection gets the same
// treatment, chosen by the mode. It counts connections and the client's
// streams and frames, so a test can see what the service did.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "upstream.hpp"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace it {

class HostileH2Upstream {
 public:
  enum class Mode {
    goaway_mid_body,     // HEADERS, 1000 of 100000 body bytes, GOAWAY(INTERNAL_ERROR), close
    goaway_kept_open,    // the same with GOAWAY(NO_ERROR) for this stream, then silence, the connection open
    settings_flood,      // SETTINGS frames without end; reads nothing more (their ACKs pile up)
    ping_flood,          // PING frames without end; reads nothing more
    endless_continuation,  // HEADERS without END_HEADERS, then 1 KiB CONTINUATIONs forever
    huge_header_list,    // ~96 KiB of header fields over HEADERS + CONTINUATIONs (finite), then a body
    reset_every_stream,  // RST_STREAM(INTERNAL_ERROR) for each request, the connection kept
    closed_window,       // SETTINGS_INITIAL_WINDOW_SIZE 0, never a WINDOW_UPDATE; a GET gets
                         // its response head and then nothing, a request with a body nothing
  };

  HostileH2Upstream(Mode mode, const TlsFiles& tls);
  ~HostileH2Upstream();
  HostileH2Upstream(const HostileH2Upstream&) = delete;
  HostileH2Upstream& operator=(const HostileH2Upstream&) = delete;

  std::string url(const std::string& path = "/") const;
  int accepted() const { return accepted_; }
  int open_connections() const { return open_; }
  // HEADERS frames that opened a stream, over all connections; the most on one.
  int streams() const { return streams_; }
  int max_streams_per_connection() const { return max_streams_per_connection_; }
  // RST_STREAM frames the client sent; DATA payload bytes it sent.
  int resets_received() const { return resets_received_; }
  long data_bytes_received() const { return data_bytes_received_; }
  // Bytes of frames this side wrote, over all connections.
  long bytes_sent() const { return bytes_sent_; }

 private:
  void accept_loop();
  void serve(int fd);

  Mode mode_;
  ssl_ctx_st* ctx_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> open_{0};
  std::atomic<int> streams_{0};
  std::atomic<int> max_streams_per_connection_{0};
  std::atomic<int> resets_received_{0};
  std::atomic<long> data_bytes_received_{0};
  std::atomic<long> bytes_sent_{0};
  std::mutex m_;
  std::vector<std::thread> conns_;
  std::thread acceptor_;
};

}  // namespace it
