// The keep-alive pool's bookkeeping, mostly without sockets: which connection
// comes back, the per-origin cap, stale ones dropped, memory that stays bounded
// when the origins keep changing, and how a connection over the cap is closed.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "connection_pool.hpp"

using asyncfetch::Connection;
using asyncfetch::ConnectionPool;
using namespace std::chrono_literals;

namespace {
std::unique_ptr<Connection> conn(const std::string& origin) {
  auto c = std::make_unique<Connection>();
  c->origin = origin;
  return c;
}
}  // namespace

TEST_CASE("pool: the most recently returned connection of the origin comes back first", "[pool]") {
  ConnectionPool pool(4, 10s);
  auto a = conn("http://a:80");
  auto b = conn("http://a:80");
  Connection* second = b.get();
  pool.put(std::move(a));
  pool.put(std::move(b));
  CHECK(pool.idle() == 2);
  CHECK(pool.take("http://b:80") == nullptr);
  CHECK(pool.take("http://a:80").get() == second);
  CHECK(pool.idle() == 1);
  CHECK(pool.take("http://a:80") != nullptr);
  CHECK(pool.take("http://a:80") == nullptr);
  CHECK(pool.idle() == 0);
}

TEST_CASE("pool: no more than max_idle connections are kept per origin", "[pool]") {
  ConnectionPool pool(2, 10s);
  for (int i = 0; i < 5; ++i) pool.put(conn("http://a:80"));
  pool.put(conn("http://b:80"));
  CHECK(pool.idle() == 3);
  // Taking one makes room for one more.
  auto c = pool.take("http://a:80");
  REQUIRE(c);
  pool.put(conn("http://a:80"));
  pool.put(std::move(c));  // over the cap: closed, not kept
  CHECK(pool.idle() == 3);
}

TEST_CASE("pool: a connection idle past the idle timeout is not reused", "[pool]") {
  ConnectionPool pool(4, 0ms);
  pool.put(conn("http://a:80"));
  CHECK(pool.take("http://a:80") == nullptr);
  CHECK(pool.idle() == 0);
}

TEST_CASE("pool: origins no connection refers to any more are forgotten", "[pool]") {
  ConnectionPool pool(4, 10s);
  for (int i = 0; i < 10000; ++i) {
    const std::string origin = "http://host" + std::to_string(i) + ":80";
    pool.put(conn(origin));
    CHECK(pool.take(origin) != nullptr);  // and closed right away
  }
  CHECK(pool.origins_tracked() < 200);
  // An origin with an idle connection keeps its count through the sweeps.
  pool.put(conn("http://kept:80"));
  for (int i = 0; i < 1000; ++i) {
    const std::string origin = "http://other" + std::to_string(i) + ":80";
    pool.put(conn(origin));
    pool.take(origin);
  }
  CHECK(pool.idle() == 1);
  for (int i = 0; i < 5; ++i) pool.put(conn("http://kept:80"));
  CHECK(pool.idle() == 4);  // the cap still counts the connection kept before
}

TEST_CASE("pool: a connection over the cap is reset, so no TIME_WAIT is left behind", "[pool]") {
  // Real loopback sockets. A normal close would send FIN (the server reads
  // EOF) and leave the closing side in TIME_WAIT for a minute, holding a local
  // port: a fan-out wider than the cap churns thousands of them.
  namespace net = boost::asio;
  using net::ip::tcp;
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  auto connected = [&](tcp::socket& server_side) {
    auto c = conn("http://127.0.0.1:80");
    c->plain = std::make_unique<tcp::socket>(io);
    c->plain->connect(acceptor.local_endpoint());
    acceptor.accept(server_side);
    return c;
  };
  tcp::socket kept_peer(io), dropped_peer(io);
  ConnectionPool pool(1, 10s);
  pool.put(connected(kept_peer));
  pool.put(connected(dropped_peer));  // over the cap of 1
  CHECK(pool.idle() == 1);

  std::array<char, 16> buf;
  boost::system::error_code ec;
  net::read(dropped_peer, net::buffer(buf), ec);
  CHECK(ec == net::error::connection_reset);
  // The kept one is still open: nothing to read yet, no EOF, no reset.
  kept_peer.non_blocking(true);
  kept_peer.read_some(net::buffer(buf), ec);
  CHECK(ec == net::error::would_block);
}
