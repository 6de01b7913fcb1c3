// Where a fetch's HTTP/2 stream goes: the rule that decides between the
// connections an origin has, a connection being made, and a new one. Pure.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

namespace asyncfetch::h2 {

// The most streams put on one connection when the server sets no limit, or a
// higher one (as Go's client does): a server's own limit is followed (Go's
// server allows 250, nghttpd 100), so that a fan-out of a few hundred fetches
// shares one connection where the server lets it.
constexpr std::uint32_t max_streams_per_connection = 1000;

// How many streams a connection may carry: what the server's
// SETTINGS_MAX_CONCURRENT_STREAMS allows, at most max_streams_per_connection.
// A server that allows 0 takes none (it is turning new streams away).
constexpr std::uint32_t stream_capacity(std::uint32_t server_max_concurrent_streams) noexcept {
  return std::min(server_max_concurrent_streams, max_streams_per_connection);
}

// One connection as the rule sees it.
struct ConnectionLoad {
  std::uint32_t streams = 0;   // open or promised to a fetch
  std::uint32_t capacity = 0;  // stream_capacity() of the server's settings
  bool accepting = true;       // false after a GOAWAY, an error, or once closing
};

struct Placement {
  enum Kind {
    use_connection,    // a stream on connections[index]
    wait_for_connect,  // a connection to the origin is being made: wait for it, then choose again
    connect,           // make a connection (which may turn out to speak HTTP/1.1)
    http1,             // the origin answered ALPN with HTTP/1.1 lately: no h2 attempt
  };
  Kind kind;
  std::size_t index = 0;
};

// The oldest accepting connection with room wins: connections fill in the
// order they were made, so the newer ones empty first and time out when a
// burst is over. With none, a fetch waits for the connection already being
// made rather than making one more (fifty fetches that start together share
// one handshake); only when nothing is in the making, a new one is made, or
// HTTP/1.1 is used when the origin is known to speak only that.
inline Placement place(std::span<const ConnectionLoad> connections, bool connecting, bool known_http1) noexcept {
  for (std::size_t i = 0; i < connections.size(); ++i) {
    const auto& c = connections[i];
    if (c.accepting && c.streams < c.capacity) return {Placement::use_connection, i};
  }
  if (connecting) return {Placement::wait_for_connect};
  if (known_http1) return {Placement::http1};
  return {Placement::connect};
}

}  // namespace asyncfetch::h2
