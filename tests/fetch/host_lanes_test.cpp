// The per-origin lanes of a fan-out: input order across lanes, a lane's cap,
// lanes whose origin is busy elsewhere let the others by, a watcher per
// blocked lane, and the end of a lane told once it has nothing left.
#include <catch2/catch.hpp>

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "host_lanes.hpp"

using asyncfetch::HostLanes;
using Kind = HostLanes::Next::Kind;

namespace {

auto admit_all = [](std::size_t) { return true; };

// Starts URLs while it can, with every origin's permit free; their indexes.
std::vector<std::size_t> start_all(HostLanes& h) {
  std::vector<std::size_t> started;
  for (auto n = h.next(admit_all); n.kind == Kind::start; n = h.next(admit_all)) started.push_back(n.url);
  return started;
}

}  // namespace

TEST_CASE("host lanes: URLs grouped by key, lanes in order of first appearance", "[host_lanes]") {
  HostLanes h({"a", "b", "a", "", "c", "b"}, 2);
  REQUIRE(h.lanes() == 4);
  CHECK(h.key(0) == "a");
  CHECK(h.key(1) == "b");
  CHECK(h.key(2) == "");
  CHECK(h.key(3) == "c");
}

TEST_CASE("host lanes: without a cap, every URL in input order", "[host_lanes]") {
  HostLanes h({"a", "a", "b", "a", "c"}, 0);
  CHECK(start_all(h) == std::vector<std::size_t>{0, 1, 2, 3, 4});
  CHECK(h.next(admit_all).kind == Kind::done);
}

TEST_CASE("host lanes: a lane at its cap lets the other lanes by, in input order", "[host_lanes]") {
  // a a a b a b c: cap 2 starts a a (0 1), then skips a's third (2) for b (3),
  // a's fourth (4) waits too, b (5), c (6).
  HostLanes h({"a", "a", "a", "b", "a", "b", "c"}, 2);
  CHECK(start_all(h) == std::vector<std::size_t>{0, 1, 3, 5, 6});
  auto n = h.next(admit_all);
  CHECK(n.kind == Kind::wait);  // a's are left, a is at its cap
  CHECK_FALSE(h.finished(0));   // one of a's finished: a has room again
  n = h.next(admit_all);
  REQUIRE(n.kind == Kind::start);
  CHECK(n.url == 2);
  CHECK(n.lane == 0);
  CHECK(h.next(admit_all).kind == Kind::wait);
  CHECK_FALSE(h.finished(0));
  n = h.next(admit_all);
  REQUIRE(n.kind == Kind::start);
  CHECK(n.url == 4);
  CHECK(h.next(admit_all).kind == Kind::done);
}

TEST_CASE("host lanes: never more than the cap of one lane started and not finished", "[host_lanes]") {
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) keys.push_back(i % 3 == 0 ? "b" : "a");
  const unsigned cap = 3;
  HostLanes h(keys, cap);
  std::vector<unsigned> in_flight(h.lanes());
  std::vector<std::size_t> running;  // lanes of the started URLs, finished oldest first
  std::set<std::size_t> seen;
  for (;;) {
    auto n = h.next(admit_all);
    if (n.kind == Kind::done) break;
    if (n.kind == Kind::start) {
      CHECK(seen.insert(n.url).second);  // each URL once
      CHECK(++in_flight[n.lane] <= cap);
      running.push_back(n.lane);
      continue;
    }
    REQUIRE(n.kind == Kind::wait);
    REQUIRE_FALSE(running.empty());
    --in_flight[running.front()];
    h.finished(running.front());
    running.erase(running.begin());
  }
  CHECK(seen.size() == keys.size());
}

TEST_CASE("host lanes: URLs that do not parse have a lane without a cap", "[host_lanes]") {
  HostLanes h({"", "", "", "a", "a"}, 1);
  CHECK(start_all(h) == std::vector<std::size_t>{0, 1, 2, 3});
}

TEST_CASE("host lanes: a lane not admitted is skipped, and handed out once to watch", "[host_lanes]") {
  HostLanes h({"a", "b", "a", "c"}, 0);
  auto busy_a = [&](std::size_t lane) { return h.key(lane) != "a"; };
  auto n = h.next(busy_a);
  REQUIRE(n.kind == Kind::start);
  CHECK(n.url == 1);  // a's origin is busy: b goes first
  n = h.next(busy_a);
  REQUIRE(n.kind == Kind::start);
  CHECK(n.url == 3);
  n = h.next(busy_a);
  REQUIRE(n.kind == Kind::watch);  // nothing else to start: somebody waits for a's permit
  CHECK(h.key(n.lane) == "a");
  const std::size_t a = n.lane;
  CHECK(h.next(busy_a).kind == Kind::wait);  // watched already: not handed out twice
  auto url = h.take_watched(a);
  REQUIRE(url.has_value());
  CHECK(*url == 0);
  // Another watcher may be needed for a's next URL.
  n = h.next(busy_a);
  REQUIRE(n.kind == Kind::watch);
  CHECK(n.lane == a);
  CHECK(h.take_watched(a) == std::optional<std::size_t>(2));
  CHECK(h.next(busy_a).kind == Kind::done);
}

TEST_CASE("host lanes: the watched permit finds nothing to do when others took the URLs", "[host_lanes]") {
  HostLanes h({"a", "a"}, 0);
  auto none = [](std::size_t) { return false; };
  auto n = h.next(none);
  REQUIRE(n.kind == Kind::watch);
  CHECK(start_all(h) == std::vector<std::size_t>{0, 1});  // the origin freed up: both started meanwhile
  CHECK_FALSE(h.take_watched(n.lane).has_value());
}

TEST_CASE("host lanes: the watched permit finds no room when the lane reached its cap", "[host_lanes]") {
  HostLanes h({"a", "a", "a"}, 1);
  auto n = h.next([](std::size_t) { return false; });
  REQUIRE(n.kind == Kind::watch);
  CHECK(start_all(h) == std::vector<std::size_t>{0});
  CHECK_FALSE(h.take_watched(n.lane).has_value());
  CHECK_FALSE(h.finished(n.lane));
  CHECK(h.take_watched(n.lane) == std::optional<std::size_t>(1));
}

TEST_CASE("host lanes: finished says when a lane has nothing left, once", "[host_lanes]") {
  HostLanes h({"a", "b", "a"}, 0);
  CHECK(start_all(h) == std::vector<std::size_t>{0, 1, 2});
  CHECK_FALSE(h.finished(0));  // one of a's still in flight
  CHECK(h.finished(1));
  CHECK(h.finished(0));
}
