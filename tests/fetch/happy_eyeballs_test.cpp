// connect_first on real loopback sockets: a refused address moves on at once,
// the first to connect wins, and an attempt that ends on another loop thread
// is never missed (which would leave the fetch waiting until its deadline).
#include "happy_eyeballs.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <vector>

#include "runtime/run.hpp"
#include "runtime/timeout.hpp"

using asyncfetch::connect_first;
using asyncfetch::ConnectOutcome;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

const auto loopback = net::ip::make_address_v4("127.0.0.1");

// A port on 127.0.0.1 where nothing listens: bound, then closed.
unsigned short refused_port() {
  net::io_context io;
  tcp::acceptor a(io, tcp::endpoint(loopback, 0));
  return a.local_endpoint().port();
}

// `rounds` connects, each to a refused address first and a listening one
// second, with a stagger far longer than the test allows: every round must
// win on the second address at once.
runtime::Task<int> refused_then_listening(int rounds) {
  auto ex = co_await net::this_coro::executor;
  tcp::acceptor listener(ex, tcp::endpoint(loopback, 0));  // the backlog takes the connections
  const std::vector<tcp::endpoint> endpoints{{loopback, refused_port()}, listener.local_endpoint()};
  int won = 0;
  for (int i = 0; i < rounds; ++i) {
    tcp::socket sock(ex);
    const auto t0 = Clock::now();
    ConnectOutcome r = co_await runtime::wait_for(connect_first(sock, endpoints, 3000ms, t0 + 10s), 2s);
    if (r.error) continue;
    if (sock.is_open() && Clock::now() - t0 < 1s) ++won;
    tcp::socket accepted = listener.accept();  // queued already: does not block
  }
  co_return won;
}

runtime::Task<ConnectOutcome> all_refused() {
  auto ex = co_await net::this_coro::executor;
  const std::vector<tcp::endpoint> endpoints{{loopback, refused_port()}, {loopback, refused_port()}};
  tcp::socket sock(ex);
  co_return co_await runtime::wait_for(connect_first(sock, endpoints, 3000ms, Clock::now() + 10s), 2s);
}

}  // namespace

TEST_CASE("connect_first: a refused address moves on at once, and the next one wins", "[happy-eyeballs]") {
  CHECK(runtime::run(refused_then_listening(50)) == 50);
}

TEST_CASE("connect_first: no attempt's end is missed on several loop threads", "[happy-eyeballs][threads]") {
  // The attempts end on loop threads of their own: each round must see the
  // winner at once, never wait out the stagger or the deadline. More threads
  // than cores, so that a thread is often preempted just as its attempt ends
  // (an attempt seen as running after it had signalled its end was missed:
  // this failed within 3000 rounds).
  CHECK(runtime::run(refused_then_listening(3000), 8) == 3000);
}

TEST_CASE("connect_first: every address refused gives the last error at once", "[happy-eyeballs]") {
  const auto t0 = Clock::now();
  ConnectOutcome r = runtime::run(all_refused(), 2);
  CHECK(r.error == net::error::connection_refused);
  CHECK_FALSE(r.timed_out);
  CHECK(Clock::now() - t0 < 1s);
}
