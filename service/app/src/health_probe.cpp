#include "asyncfetch/app/health_probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

namespace asyncfetch {

namespace {

// Plain blocking sockets with poll(): a one-shot probe needs no event loop.
bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(left.count())) == 1;
}

}  // namespace

int health_check(const Config& config, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string host = config.listen_address;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";

  sockaddr_storage ss{};
  socklen_t len;
  if (host.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(config.port);
    if (::inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) return 1;
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(config.port);
    if (::inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1) return 1;
    len = sizeof *a;
  }
  int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return 1;
  int healthy = 1;
  do {
    if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS) break;
    if (!wait_for(fd, POLLOUT, deadline)) break;
    int err = 0;
    socklen_t el = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) break;
    const std::string req = "GET /healthz HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) break;
    char buf[64] = {};
    std::size_t got = 0;
    while (got < 12 && wait_for(fd, POLLIN, deadline)) {
      auto n = ::recv(fd, buf + got, sizeof buf - 1 - got, 0);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    healthy = (got >= 12 && std::strncmp(buf, "HTTP/1.1 200", 12) == 0) ? 0 : 1;
  } while (false);
  ::close(fd);
  if (healthy != 0) std::fprintf(stderr, "asyncfetch: health check of %s:%u failed\n", host.c_str(), config.port);
  return healthy;
}

}  // namespace asyncfetch
