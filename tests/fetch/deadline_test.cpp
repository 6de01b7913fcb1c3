// Deadline on a plain io_context: it acts once when its time passes, never
// after it is gone, and the socket form closes the socket.
#include "deadline.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <catch2/catch.hpp>

#include <chrono>

using asyncfetch::Deadline;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace net = boost::asio;

TEST_CASE("deadline: acts once when its time has passed", "[deadline]") {
  net::io_context io;
  int calls = 0;
  Deadline d(io.get_executor(), Clock::now() + 20ms, [&] { ++calls; });
  CHECK_FALSE(d.expired());
  io.run_for(2s);  // returns once the timer's handler has run
  CHECK(calls == 1);
  CHECK(d.expired());
}

TEST_CASE("deadline: gone before its time, it never acts", "[deadline]") {
  net::io_context io;
  int calls = 0;
  { Deadline d(io.get_executor(), Clock::now() + 50ms, [&] { ++calls; }); }
  io.run_for(2s);  // long enough for the time to pass; returns at once when nothing is left to wait for
  CHECK(calls == 0);
}

TEST_CASE("deadline: gone after its time passed but before its handler ran, it never acts", "[deadline]") {
  net::io_context io;
  int calls = 0;
  { Deadline d(io.get_executor(), Clock::now() - 1s, [&] { ++calls; }); }
  io.run_for(2s);
  CHECK(calls == 0);
}

TEST_CASE("deadline: the socket form closes the socket", "[deadline]") {
  net::io_context io;
  net::ip::tcp::socket s(io);
  s.open(net::ip::tcp::v4());
  REQUIRE(s.is_open());
  Deadline d(io.get_executor(), Clock::now(), s);
  io.run_for(2s);
  CHECK(d.expired());
  CHECK_FALSE(s.is_open());
}
