// Idle keep-alive connections, by origin. Internal to the fetcher (Beast types).
//
// A connection is in the pool only while nobody uses it: take() hands it to one
// fetch, put() gives it back after a clean keep-alive response. The most
// recently used connection is reused first (it is the least likely to have
// been closed by the server); ones idle for longer than the idle timeout are
// closed instead of reused.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace asyncfetch {

// Plain Asio sockets, not Beast's tcp_stream: a pooled connection is used by
// one fetch at a time but by tasks on different strands over its life, and a
// tcp_stream's timer runs on the executor it was made with. Deadlines are the
// fetcher's job (a timer on the using task's own executor).
struct Connection {
  std::string origin;
  std::unique_ptr<boost::asio::ip::tcp::socket> plain;                              // http
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> tls;     // https
  boost::beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;

  boost::asio::ip::tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }
};

class ConnectionPool {
 public:
  ConnectionPool(std::size_t max_idle_per_origin, std::chrono::milliseconds idle_timeout)
      : max_idle_(max_idle_per_origin), idle_timeout_(idle_timeout) {}

  std::unique_ptr<Connection> take(const std::string& origin);
  void put(std::unique_ptr<Connection> c);
  void clear();
  std::size_t idle() const;

 private:
  mutable std::mutex m_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
  std::size_t count_ = 0;
  const std::size_t max_idle_;
  const std::chrono::milliseconds idle_timeout_;
};

}  // namespace asyncfetch
