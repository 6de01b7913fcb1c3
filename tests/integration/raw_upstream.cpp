#include "raw_upstream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace it {

namespace {

int bind_loopback(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

// Waits up to `ms` for the fd to be readable; true when it is.
bool readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) > 0;
}

void send_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    auto n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace

int closed_port() {
  int port = 0;
  int fd = bind_loopback(port);
  ::close(fd);
  return port;
}

FullBacklog::FullBacklog() {
  listen_fd_ = bind_loopback(port_);
  if (::listen(listen_fd_, 0) != 0) throw std::runtime_error("listen failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port_));
  // The first connection fills the queue; the later ones wait with their SYNs dropped.
  for (int i = 0; i < 3; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    fillers_.push_back(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

FullBacklog::~FullBacklog() {
  for (int fd : fillers_) ::close(fd);
  ::close(listen_fd_);
}

std::string FullBacklog::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

RawUpstream::RawUpstream(Mode mode) : mode_(mode) {
  listen_fd_ = bind_loopback(port_);
  if (::listen(listen_fd_, 128) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("listen failed");
  }
  acceptor_ = std::thread([this] { accept_loop(); });
}

RawUpstream::~RawUpstream() {
  stopping_ = true;
  acceptor_.join();
  std::lock_guard lk(m_);
  for (auto& t : conns_) t.join();
  ::close(listen_fd_);
}

std::string RawUpstream::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void RawUpstream::accept_loop() {
  while (!stopping_) {
    if (!readable(listen_fd_, 20)) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++accepted_;
    ++open_;
    std::lock_guard lk(m_);
    conns_.emplace_back([this, fd] { serve(fd); });
  }
}

void RawUpstream::serve(int fd) {
  // Read the request head (the service sends no body with GET).
  std::string got;
  char buf[4096];
  while (!stopping_ && got.find("\r\n\r\n") == std::string::npos) {
    if (!readable(fd, 20)) continue;
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  switch (mode_) {
    case Mode::garbage:
      send_all(fd, "SSH-2.0-OpenSSH_9.2\r\n\x01\x02\x03 this is not HTTP at all\r\n\r\n");
      ::shutdown(fd, SHUT_WR);
      break;
    case Mode::reset: {
      send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nthe first few bytes");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      linger l{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      break;
    }
    case Mode::silent:
      // Never answer; notice when the peer closes (recv gives 0 or an error).
      while (!stopping_) {
        if (!readable(fd, 20)) continue;
        auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
      }
      break;
  }
  ::close(fd);
  --open_;
}

}  // namespace it
