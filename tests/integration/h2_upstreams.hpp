// Real HTTP/2 peers the tests start, both TLS with the test PKI's server
// certificate (tls_certs.hpp), on 127.0.0.1:
//   GoUpstream: Go's net/http (h2_upstream/main.go, built by CMake), which
//     speaks h2 or HTTP/1.1 as ALPN decides (or HTTP/1.1 only), and counts
//     connections, requests per protocol and streams at once on its control port;
//   Nghttpd: nghttp2's own server, for a small SETTINGS_MAX_CONCURRENT_STREAMS,
//     serving files of a directory it is given, its sessions counted in its log.
// Both end with the object (the child is killed and reaped).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

#include "client.hpp"
#include "upstream.hpp"

namespace it {

class GoUpstream {
 public:
  explicit GoUpstream(const TlsFiles& tls, bool http1_only = false);
  ~GoUpstream();
  GoUpstream(const GoUpstream&) = delete;
  GoUpstream& operator=(const GoUpstream&) = delete;

  int port() const { return port_; }
  // "https://127.0.0.1:PORT" + path; `host` may be "localhost".
  std::string url(const std::string& path, const std::string& host = "127.0.0.1") const;
  // {"connections","open","requests","h2_requests","h1_requests","in_flight",
  //  "max_in_flight","max_streams_per_connection","cancelled"}
  Json stats() const;

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;  // closed: the child exits
  int port_ = 0;
  int control_port_ = 0;
};

class Nghttpd {
 public:
  // Serves `files` (name -> content) with at most `max_concurrent_streams` per connection.
  Nghttpd(const TlsFiles& tls, int max_concurrent_streams, const std::map<std::string, std::string>& files);
  ~Nghttpd();
  Nghttpd(const Nghttpd&) = delete;
  Nghttpd& operator=(const Nghttpd&) = delete;

  std::string url(const std::string& path) const;
  // HTTP/2 sessions it has had (its verbose log numbers them).
  int sessions() const;

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace it
