#include "forward_proxy.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <stdexcept>

namespace it {

namespace {

// Sends all of `s`; false when the peer went away.
bool send_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const auto n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads up to the end of a request head (bounded in size and time); `rest`
// gets what came after it. False when the peer closed or stalled first.
bool read_head(int fd, std::string& head, std::string& rest, const std::atomic<bool>& stopping) {
  std::string buf;
  char chunk[4096];
  while (buf.size() < 64 * 1024 && !stopping) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, 50);
    if (r == 0) continue;
    if (r < 0) return false;
    const auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<std::size_t>(n));
    if (const auto end = buf.find("\r\n\r\n"); end != std::string::npos) {
      head = buf.substr(0, end + 4);
      rest = buf.substr(end + 4);
      return true;
    }
  }
  return false;
}

// "Name: value" of the head, case-insensitive name; "" when absent.
std::string header_value(const std::string& head, const std::string& name) {
  std::size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos + 2 < head.size()) {
    const std::size_t start = pos + 2;
    const std::size_t end = head.find("\r\n", start);
    const std::string line = head.substr(start, end - start);
    const auto colon = line.find(':');
    if (colon != std::string::npos && colon == name.size()) {
      bool same = true;
      for (std::size_t i = 0; i < colon; ++i)
        same = same && std::tolower(static_cast<unsigned char>(line[i])) == std::tolower(static_cast<unsigned char>(name[i]));
      if (same) {
        auto v = line.substr(colon + 1);
        while (!v.empty() && v.front() == ' ') v.erase(0, 1);
        return v;
      }
    }
    pos = end;
  }
  return {};
}

// Connects to "host:port" ("[v6]:port" too) by name, as a proxy does.
int dial(const std::string& authority) {
  std::string host = authority, port = "80";
  if (const auto colon = authority.rfind(':'); colon != std::string::npos && authority.back() != ']') {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return -1;
  int fd = -1;
  for (auto* a = res; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  return fd;
}

// Copies bytes both ways until either side closes (or the fixture stops), or
// `to_a` bytes have gone from b to a.
void pump(int a, int b, const std::atomic<bool>& stopping, std::size_t to_a = SIZE_MAX) {
  char buf[16384];
  while (!stopping) {
    pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    const int r = ::poll(p, 2, 50);
    if (r < 0) return;
    for (int i = 0; i < 2; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const int from = i == 0 ? a : b, to = i == 0 ? b : a;
      const std::size_t room = i == 0 ? sizeof buf : std::min(sizeof buf, to_a);
      const auto n = ::recv(from, buf, room, 0);
      if (n <= 0 || !send_all(to, std::string_view(buf, static_cast<std::size_t>(n)))) return;
      if (i == 1 && (to_a -= static_cast<std::size_t>(n)) == 0) return;
    }
  }
}

}  // namespace

ForwardProxy::ForwardProxy(Mode mode, std::string expected_auth)
    : mode_(mode), expected_auth_(std::move(expected_auth)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 128) != 0)
    throw std::runtime_error("ForwardProxy: bind/listen failed");
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

ForwardProxy::~ForwardProxy() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> conns;
  {
    std::lock_guard lk(m_);
    conns.swap(conns_);
  }
  for (auto& t : conns) t.join();
}

std::string ForwardProxy::url(const std::string& userinfo) const {
  return "http://" + (userinfo.empty() ? "" : userinfo + "@") + "127.0.0.1:" + std::to_string(port_);
}

std::vector<std::string> ForwardProxy::requests() const {
  std::lock_guard lk(m_);
  return requests_;
}
std::vector<std::string> ForwardProxy::authorizations() const {
  std::lock_guard lk(m_);
  return authorizations_;
}
std::string ForwardProxy::last_relayed_head() const {
  std::lock_guard lk(m_);
  return last_relayed_head_;
}

void ForwardProxy::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++accepted_;
    std::lock_guard lk(m_);
    conns_.emplace_back([this, fd] {
      serve(fd);
      ::close(fd);
    });
  }
}

void ForwardProxy::serve(int fd) {
  std::string head, rest;
  if (!read_head(fd, head, rest, stopping_)) return;
  const std::string line = head.substr(0, head.find("\r\n"));
  {
    std::lock_guard lk(m_);
    requests_.push_back(line);
    authorizations_.push_back(header_value(head, "Proxy-Authorization"));
  }
  const bool connect = line.rfind("CONNECT ", 0) == 0;
  switch (mode_.load()) {
    case Mode::refuse:
      if (send_all(fd, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
        hold_until_closed(fd);
      return;
    case Mode::garbage:
      if (send_all(fd, "SSH-2.0-OpenSSH_9.2\r\n")) hold_until_closed(fd);
      return;
    case Mode::silent:  // until the client gives up
      hold_until_closed(fd);
      return;
    case Mode::tls_garbage: {
      if (!send_all(fd, "HTTP/1.1 200 Connection established\r\n\r\n")) return;
      // The client's ClientHello, then an answer that is no ServerHello.
      pollfd p{fd, POLLIN, 0};
      char c[4096];
      if (::poll(&p, 1, 5000) <= 0 || ::recv(fd, c, sizeof c, 0) <= 0) return;
      if (send_all(fd, "SSH-2.0-OpenSSH_9.2\r\nnot a TLS record at all\r\n")) hold_until_closed(fd);
      return;
    }
    case Mode::eager:
      if (send_all(fd, "HTTP/1.1 200 Connection established\r\n\r\nSSH-2.0-OpenSSH_9.2\r\n")) hold_until_closed(fd);
      return;
    case Mode::auth:
      if (header_value(head, "Proxy-Authorization") != expected_auth_) {
        send_all(fd, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\n"
                     "Content-Length: 0\r\nConnection: close\r\n\r\n");
        return;
      }
      break;
    case Mode::relay:
    case Mode::cut:
      break;
  }
  if (connect) {
    const auto sp = line.find(' ', 8);
    tunnel(fd, line.substr(8, sp - 8));
  } else {
    relay_http(fd, head, rest);
  }
}

void ForwardProxy::tunnel(int client, const std::string& authority) {
  const int up = dial(authority);
  if (up < 0) {
    send_all(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    return;
  }
  if (send_all(client, "HTTP/1.1 200 Connection established\r\n\r\n"))
    pump(client, up, stopping_, mode_ == Mode::cut ? cut_after_.load() : SIZE_MAX);
  ::close(up);
}

// Reads and drops what the client sends until it closes (true) or the
// fixture stops (false).
bool ForwardProxy::hold_until_closed(int fd) {
  char buf[4096];
  while (!stopping_) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0 && ::recv(fd, buf, sizeof buf, 0) <= 0) {
      ++closed_by_client_;
      return true;
    }
  }
  return false;
}

void ForwardProxy::relay_http(int client, const std::string& head, const std::string& rest) {
  // "GET http://host:port/path HTTP/1.1" -> "GET /path HTTP/1.1", to host:port;
  // Proxy-Authorization is for this hop only.
  const std::string line = head.substr(0, head.find("\r\n"));
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto scheme_end = target.find("://");
  if (scheme_end == std::string::npos) {
    send_all(client, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    return;
  }
  const auto path_start = target.find('/', scheme_end + 3);
  const std::string authority = target.substr(scheme_end + 3, path_start - scheme_end - 3);
  const std::string path = path_start == std::string::npos ? "/" : target.substr(path_start);
  std::string out = line.substr(0, sp1) + " " + path + line.substr(sp2) + "\r\n";
  std::size_t pos = head.find("\r\n") + 2;
  while (pos < head.size()) {
    const std::size_t end = head.find("\r\n", pos);
    const std::string field = head.substr(pos, end - pos);
    // One request per relayed connection: a second one on it would reach the
    // origin in absolute form.
    const bool hop_only = field.rfind("Proxy-Authorization:", 0) == 0 || field.rfind("Connection:", 0) == 0;
    if (!field.empty() && !hop_only) out += field + "\r\n";
    pos = end + 2;
  }
  out += "Connection: close\r\n\r\n";
  {
    std::lock_guard lk(m_);
    last_relayed_head_ = out;
  }
  const int up = dial(authority);
  if (up < 0) {
    send_all(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    return;
  }
  if (send_all(up, out + rest)) pump(client, up, stopping_);
  ::close(up);
}

}  // namespace it
