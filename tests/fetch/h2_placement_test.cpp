// The rule that places a fetch's HTTP/2 stream (h2/placement.hpp).
#include "h2/placement.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace asyncfetch::h2;

TEST_CASE("h2 placement: the oldest accepting connection with room takes the stream", "[h2_placement]") {
  std::vector<ConnectionLoad> c = {{2, 2, true}, {1, 2, false}, {0, 2, true}, {1, 2, true}};
  auto p = place(c, false, false);
  CHECK(p.kind == Placement::use_connection);
  CHECK(p.index == 2);  // [0] is full, [1] took a GOAWAY
  c[0].streams = 1;
  CHECK(place(c, false, false).index == 0);
  CHECK(place(c, /*connecting=*/true, /*known_http1=*/true).kind == Placement::use_connection);
}

TEST_CASE("h2 placement: with no room, wait for a connection being made, else make one", "[h2_placement]") {
  const std::vector<ConnectionLoad> full = {{100, 100, true}, {3, 3, true}, {0, 5, false}};
  CHECK(place(full, true, false).kind == Placement::wait_for_connect);
  CHECK(place(full, false, false).kind == Placement::connect);
  CHECK(place({}, false, false).kind == Placement::connect);
  CHECK(place({}, true, false).kind == Placement::wait_for_connect);
}

TEST_CASE("h2 placement: an origin known to speak HTTP/1.1 goes to HTTP/1.1", "[h2_placement]") {
  CHECK(place({}, false, true).kind == Placement::http1);
  // A connection being made is still waited for: it may speak h2 after all.
  CHECK(place({}, true, true).kind == Placement::wait_for_connect);
}

TEST_CASE("h2 placement: a connection carries what the server allows, at most 1000", "[h2_placement]") {
  CHECK(stream_capacity(1) == 1);
  CHECK(stream_capacity(2) == 2);
  CHECK(stream_capacity(100) == 100);
  CHECK(stream_capacity(250) == 250);  // Go's server
  CHECK(stream_capacity(1000) == 1000);
  CHECK(max_streams_per_connection == 1000);
  CHECK(stream_capacity(1001) == 1000);
  CHECK(stream_capacity(0xffffffffu) == 1000);  // no limit set
  CHECK(stream_capacity(0) == 0);  // a server turning new streams away takes none
  const std::vector<ConnectionLoad> refusing = {{0, stream_capacity(0), true}};
  CHECK(place(refusing, false, false).kind == Placement::connect);
}
