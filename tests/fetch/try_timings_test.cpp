// TryTimings: a try's phases summed over its connections, null where none happened.
#include "try_timings.hpp"

#include <catch2/catch.hpp>

using asyncfetch::TryTimings;
using namespace std::chrono_literals;
using Phase = TryTimings::Phase;

TEST_CASE("try timings: a new https connection has every phase", "[try_timings]") {
  const auto t0 = TryTimings::Clock::time_point{} + 1h;
  TryTimings t(t0);
  t.add(Phase::dns, 2ms);
  t.add(Phase::connect, 500us);
  t.add(Phase::tls, 7ms);
  t.response_began(t0 + 12ms);
  const auto r = t.finish(t0 + 15ms);
  CHECK(r.dns_ms == 2.0);
  CHECK(r.connect_ms == 0.5);
  CHECK(r.tls_ms == 7.0);
  CHECK(r.ttfb_ms == 12.0);
  CHECK(r.total_ms == 15.0);
}

TEST_CASE("try timings: what did not happen is null", "[try_timings]") {
  const auto t0 = TryTimings::Clock::time_point{} + 1h;
  SECTION("an IP literal over http: connect only") {
    TryTimings t(t0);
    t.add(Phase::connect, 1ms);
    t.response_began(t0 + 3ms);
    const auto r = t.finish(t0 + 4ms);
    CHECK_FALSE(r.dns_ms);
    CHECK(r.connect_ms == 1.0);
    CHECK_FALSE(r.tls_ms);
    CHECK(r.ttfb_ms == 3.0);
  }
  SECTION("a reused connection: no phase at all") {
    TryTimings t(t0);
    t.response_began(t0 + 2ms);
    const auto r = t.finish(t0 + 2500us);
    CHECK_FALSE(r.dns_ms);
    CHECK_FALSE(r.connect_ms);
    CHECK_FALSE(r.tls_ms);
    CHECK(r.ttfb_ms == 2.0);
    CHECK(r.total_ms == 2.5);
  }
  SECTION("no response head: no ttfb") {
    TryTimings t(t0);
    t.add(Phase::dns, 1ms);
    t.add(Phase::connect, 3000ms);  // a connect that timed out still took its time
    const auto r = t.finish(t0 + 3001ms);
    CHECK(r.connect_ms == 3000.0);
    CHECK_FALSE(r.ttfb_ms);
    CHECK(r.total_ms == 3001.0);
  }
}

TEST_CASE("try timings: a redirect's connections add up, ttfb is the last head's", "[try_timings]") {
  const auto t0 = TryTimings::Clock::time_point{} + 1h;
  TryTimings t(t0);
  t.add(Phase::connect, 1ms);  // http://a → 302
  t.response_began(t0 + 2ms);
  t.add(Phase::dns, 4ms);  // https://b → 200
  t.add(Phase::connect, 1ms);
  t.add(Phase::tls, 5ms);
  t.response_began(t0 + 14ms);
  const auto r = t.finish(t0 + 20ms);
  CHECK(r.dns_ms == 4.0);
  CHECK(r.connect_ms == 2.0);
  CHECK(r.tls_ms == 5.0);
  CHECK(r.ttfb_ms == 14.0);
  CHECK(r.total_ms == 20.0);
}
