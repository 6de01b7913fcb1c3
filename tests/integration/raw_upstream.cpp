#include "raw_upstream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
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

// Writes all of `s` unless the peer goes away or `stopping` is set (never
// blocks for long: a peer that neither reads nor closes must not hang the
// fixture's destructor). Adds what was written to `sent`; true when all was.
bool send_all(int fd, const std::string& s, const std::atomic<bool>& stopping, std::atomic<long>& sent) {
  std::size_t off = 0;
  while (off < s.size()) {
    if (stopping) return false;
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    auto n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
    sent += n;
  }
  return true;
}

}  // namespace

int closed_port() {
  int port = 0;
  int fd = bind_loopback(port);
  ::close(fd);
  return port;
}

FullBacklog::FullBacklog(const std::string& address, int port) : address_(address) {
  const bool v6 = address.find(':') != std::string::npos;
  sockaddr_storage storage{};
  socklen_t len = 0;
  if (v6) {
    auto& a = reinterpret_cast<sockaddr_in6&>(storage);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET6, address.c_str(), &a.sin6_addr) != 1) throw std::runtime_error("bad address");
    len = sizeof a;
  } else {
    auto& a = reinterpret_cast<sockaddr_in&>(storage);
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1) throw std::runtime_error("bad address");
    len = sizeof a;
  }
  auto* sa = reinterpret_cast<sockaddr*>(&storage);
  listen_fd_ = ::socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0 || ::bind(listen_fd_, sa, len) != 0 || ::listen(listen_fd_, 0) != 0) {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    throw std::runtime_error("FullBacklog: cannot listen on " + address + ":" + std::to_string(port));
  }
  ::getsockname(listen_fd_, sa, &len);
  port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(sa)->sin6_port : reinterpret_cast<sockaddr_in*>(sa)->sin_port);
  // The first connection fills the queue; the later ones wait with their SYNs dropped.
  for (int i = 0; i < 3; ++i) {
    int fd = ::socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ::connect(fd, sa, len);
    fillers_.push_back(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

FullBacklog::~FullBacklog() {
  for (int fd : fillers_) ::close(fd);
  ::close(listen_fd_);
}

std::string FullBacklog::url(const std::string& path) const {
  const std::string host = address_.find(':') != std::string::npos ? "[" + address_ + "]" : address_;
  return "http://" + host + ":" + std::to_string(port_) + path;
}

RawUpstream::RawUpstream(Mode mode, std::string canned) : mode_(mode), canned_(std::move(canned)) {
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

std::string RawUpstream::last_request() const {
  std::lock_guard lk(m_);
  return last_request_;
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
  {
    std::lock_guard lk(m_);
    last_request_ = got;
  }
  auto send = [&](const std::string& s) { return send_all(fd, s, stopping_, sent_); };
  // Never answer (more); notice when the peer closes (recv gives 0 or an error).
  auto wait_for_peer_close = [&] {
    while (!stopping_) {
      if (!readable(fd, 20)) continue;
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
    }
  };
  auto reset_after = [&](const std::string& s) {
    send(s);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);  // close() now sends RST
  };
  switch (mode_) {
    case Mode::garbage:
      send("SSH-2.0-OpenSSH_9.2\r\n\x01\x02\x03 this is not HTTP at all\r\n\r\n");
      ::shutdown(fd, SHUT_WR);
      break;
    case Mode::reset:
      reset_after("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nthe first few bytes");
      break;
    case Mode::reset_in_headers:
      reset_after("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Half: the header is cut he");
      break;
    case Mode::silent:
      wait_for_peer_close();
      break;
    case Mode::endless_chunked: {
      if (!send("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")) break;
      const std::string chunk = "400\r\n" + std::string(1024, 'x') + "\r\n";
      while (send(chunk)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      break;
    }
    case Mode::huge_headers: {
      std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n";
      const std::string line = "X-Pad: " + std::string(1000, 'h') + "\r\n";
      while (head.size() < 1024 * 1024) head += line;
      if (send(head + "\r\nok")) wait_for_peer_close();
      break;
    }
    case Mode::canned:
      if (send(canned_)) wait_for_peer_close();
      break;
  }
  ::close(fd);
  --open_;
}

}  // namespace it
