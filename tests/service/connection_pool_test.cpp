// The keep-alive pool's bookkeeping, without sockets: which connection comes
// back, the per-origin cap, stale ones dropped, and memory that stays bounded
// when the origins keep changing.
#include <catch2/catch.hpp>

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
