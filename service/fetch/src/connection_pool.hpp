// Idle keep-alive connections, by origin. Internal to the fetcher (Beast types).
//
// A connection is in the pool only while nobody uses it: take() hands it to one
// fetch, put() gives it back after a clean keep-alive response. The most
// recently used connection is reused first (it is the least likely to have
// been closed by the server); ones idle for longer than the idle timeout are
// closed instead of reused.
//
// No global lock on the hot path: the idle lists are sharded by loop thread
// (a thread puts to and takes from its own shard, and looks at the others only
// when its own has nothing for the origin), and the per-origin cap is an
// atomic counter the connection carries, found once when it is made.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <array>
#include <atomic>
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
  std::shared_ptr<std::atomic<std::size_t>> origin_idle;  // the pool's idle count for `origin`
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
  // Gives a used connection back (or closes it when its origin has max_idle).
  void put(std::unique_ptr<Connection> c);
  // Sets up a new connection's share of the per-origin count (once per connection, not per fetch).
  void adopt(Connection& c);
  void clear();
  std::size_t idle() const;
  // How many origins have a per-origin counter (bounded: see adopt()).
  std::size_t origins_tracked() const;

 private:
  static constexpr std::size_t shards = 8;
  struct alignas(64) Shard {
    std::mutex m;
    std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  };
  std::unique_ptr<Connection> take_from(Shard& s, const std::string& origin,
                                        std::vector<std::unique_ptr<Connection>>& stale);

  std::array<Shard, shards> shards_;
  std::atomic<std::size_t> count_{0};
  mutable std::mutex counters_m_;  // only when a connection is made
  std::unordered_map<std::string, std::shared_ptr<std::atomic<std::size_t>>> counters_;
  std::size_t sweep_at_ = 64;  // counters_ size at which unused ones are dropped
  const std::size_t max_idle_;
  const std::chrono::milliseconds idle_timeout_;
};

}  // namespace asyncfetch
