#include "client.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace it {

namespace {

using Clock = std::chrono::steady_clock;

httplib::Client make_client(int port, std::chrono::milliseconds timeout) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(std::chrono::seconds(2));
  c.set_read_timeout(timeout);
  c.set_write_timeout(timeout);
  c.set_keep_alive(false);
  return c;
}

httplib::Headers to_httplib(const Headers& h) { return httplib::Headers(h.begin(), h.end()); }

Reply from(const httplib::Result& r) {
  Reply out;
  if (!r) return out;
  out.status = r->status;
  out.body = r->body;
  out.headers = Headers(r->headers.begin(), r->headers.end());
  return out;
}

}  // namespace

std::string Reply::header(const std::string& name) const {
  auto lower = [](std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  };
  for (const auto& [k, v] : headers) {
    if (lower(k) == lower(name)) return v;
  }
  return "";
}

Json Reply::json() const { return Json::parse(body); }

Reply request(int port, const std::string& method, const std::string& path, const std::string& body,
              const Headers& headers, std::chrono::milliseconds timeout) {
  auto c = make_client(port, timeout);
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers = to_httplib(headers);
  req.body = body;
  if (!body.empty() && !req.has_header("Content-Type")) req.set_header("Content-Type", "application/json");
  return from(c.send(req));
}

Reply get(int port, const std::string& path, const Headers& headers, std::chrono::milliseconds timeout) {
  return request(port, "GET", path, "", headers, timeout);
}

Reply post(int port, const std::string& path, const std::string& body, const Headers& headers,
           std::chrono::milliseconds timeout) {
  return request(port, "POST", path, body, headers, timeout);
}

Json fetch(int port, const Json& body, const Headers& headers) {
  auto r = post(port, "/fetch", body.dump(), headers);
  if (r.status != 200) {
    throw std::runtime_error("POST /fetch: status " + std::to_string(r.status) + ", body: " + r.body);
  }
  return r.json();
}

Json fetch_one(int port, const std::string& url, Json extra) {
  extra["urls"] = {url};
  Json res = fetch(port, extra);
  if (res["results"].size() != 1) throw std::runtime_error("POST /fetch of one URL: " + res.dump());
  return res["results"][0];
}

Json stats(int port, const Headers& headers) {
  auto r = get(port, "/stats", headers);
  if (r.status != 200) throw std::runtime_error("GET /stats: status " + std::to_string(r.status));
  return r.json();
}

Json body_json(const Json& result) {
  if (result.value("ok", false) != true || !result.contains("body") || !result["body"].is_string())
    throw std::runtime_error("not an ok result with a body: " + result.dump());
  return Json::parse(result["body"].get<std::string>());
}

Streamed fetch_ndjson(int port, const Json& body) {
  auto c = make_client(port, std::chrono::seconds(20));
  Streamed out;
  std::string pending;
  const auto start = Clock::now();
  httplib::Request req;
  req.method = "POST";
  req.path = "/fetch";
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  req.set_header("Accept", "application/x-ndjson");
  req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    pending.append(data, n);
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      auto at = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
      out.lines.push_back({Json::parse(pending.substr(0, nl)), at});
      pending.erase(0, nl + 1);
    }
    return true;
  };
  auto r = c.send(req);
  if (!r) return out;
  out.status = r->status;
  out.content_type = r->get_header_value("Content-Type");
  if (!pending.empty()) throw std::runtime_error("NDJSON body ends without a newline: " + pending);
  return out;
}

RawClient::RawClient(int port, const Json& body, bool ndjson) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect failed");
  std::string b = body.dump();
  std::string req = "POST /fetch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
                    std::string(ndjson ? "Accept: application/x-ndjson\r\n" : "") + "Content-Length: " +
                    std::to_string(b.size()) + "\r\n\r\n" + b;
  if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
    throw std::runtime_error("send failed");
}

RawClient::~RawClient() { close(); }

void RawClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int try_connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

namespace {

int connect_loopback(int port) {
  int fd = try_connect_loopback(port);
  if (fd < 0) throw std::runtime_error("connect failed");
  return fd;
}

}  // namespace

RawConn::RawConn(int port) : fd_(connect_loopback(port)) {}
RawConn::~RawConn() { ::close(fd_); }

void RawConn::send(const std::string& bytes) {
  if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size()))
    throw std::runtime_error("send failed");
}

std::string RawConn::read_until_close(std::chrono::milliseconds bound, bool& closed) {
  std::string got;
  closed = false;
  const auto until = Clock::now() + bound;
  char buf[4096];
  while (Clock::now() < until) {
    pollfd p{fd_, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (::poll(&p, 1, static_cast<int>(std::max<long>(left, 1))) <= 0) continue;
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed = true;
      break;
    }
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

std::string RawConn::read_until(const std::string& text, std::chrono::milliseconds bound) {
  std::string got;
  const auto until = Clock::now() + bound;
  char buf[4096];
  while (Clock::now() < until && got.find(text) == std::string::npos) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10) <= 0) continue;
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

}  // namespace it
