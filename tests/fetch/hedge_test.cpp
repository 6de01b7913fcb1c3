// HedgeGate: which leg of a hedged try wins, and when a leg that ended
// without a response head gives way to the other.
#include "hedge.hpp"

#include <catch2/catch.hpp>

using asyncfetch::HedgeGate;

TEST_CASE("hedge gate: the first head wins, the later one loses", "[hedge]") {
  HedgeGate g;
  CHECK_FALSE(g.decided.is_set());
  CHECK(g.start_hedge());
  CHECK(g.claim(1));
  CHECK(g.decided.is_set());
  CHECK(g.won(1));
  CHECK_FALSE(g.won(0));
  CHECK_FALSE(g.claim(0));
  CHECK(g.claim(1));  // asking again: still the winner
  CHECK(g.hedged());
}

TEST_CASE("hedge gate: no hedge once a head came or the first leg ended", "[hedge]") {
  HedgeGate headed;
  CHECK(headed.claim(0));
  CHECK_FALSE(headed.start_hedge());
  CHECK_FALSE(headed.hedged());

  HedgeGate ended;
  CHECK(ended.ended_without_head(0));  // no hedge under way: its failure is the try's
  CHECK_FALSE(ended.start_hedge());
  CHECK_FALSE(ended.hedged());
}

TEST_CASE("hedge gate: a leg that fails without a head gives way while the other runs", "[hedge]") {
  SECTION("the first fails, the hedge answers") {
    HedgeGate g;
    REQUIRE(g.start_hedge());
    CHECK_FALSE(g.ended_without_head(0));  // the hedge may still answer
    CHECK(g.claim(1));
  }
  SECTION("the hedge fails, the first answers") {
    HedgeGate g;
    REQUIRE(g.start_hedge());
    CHECK_FALSE(g.ended_without_head(1));
    CHECK(g.claim(0));
  }
  SECTION("both fail: the second failure is the try's") {
    HedgeGate g;
    REQUIRE(g.start_hedge());
    CHECK_FALSE(g.ended_without_head(1));
    CHECK(g.ended_without_head(0));
  }
  SECTION("both fail, the first first") {
    HedgeGate g;
    REQUIRE(g.start_hedge());
    CHECK_FALSE(g.ended_without_head(0));
    CHECK(g.ended_without_head(1));
  }
}
