#include "asyncfetch/telemetry/in_flight.hpp"

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using asyncfetch::InFlight;

TEST_CASE("in flight: counts up and down, the peak stays", "[in_flight]") {
  InFlight f;
  CHECK(f.now() == 0);
  CHECK(f.peak() == 0);
  f.enter();
  f.enter();
  f.enter();
  f.leave();
  CHECK(f.now() == 2);
  CHECK(f.peak() == 3);
  f.leave();
  f.leave();
  f.enter();
  CHECK(f.now() == 1);
  CHECK(f.peak() == 3);
}

TEST_CASE("in flight: threads entering and leaving at once", "[in_flight]") {
  InFlight f;
  constexpr int threads = 4, rounds = 20000;
  {
    std::vector<std::jthread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&f] {
        for (int i = 0; i < rounds; ++i) {
          f.enter();
          f.leave();
        }
      });
    }
  }
  CHECK(f.now() == 0);
  CHECK(f.peak() >= 1);
  CHECK(f.peak() <= threads);  // each thread holds at most one at a time
}
