// Registry: an origin's HTTP/2 connections, beside the HTTP/1.1
// ConnectionPool. A connection is here from its first SETTINGS until it stops
// accepting streams (GOAWAY, an error, retired idle); fetches take streams on
// it through choose() (placement.hpp decides which), and a fetch that finds
// none with room either waits for the connection another fetch is making or
// makes one itself. It also remembers, for pool_idle_timeout_ms, the origins
// whose servers chose HTTP/1.1, so their fetches go straight to the pool.
//
// One mutex for all origins: it is taken once per stream placed and once per
// connection made or retired, never while anything waits.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "asyncfetch/wire/fetch_error.hpp"
#include "h2/connection.hpp"
#include "h2/placement.hpp"
#include "runtime/future.hpp"

namespace asyncfetch::h2 {

// A connection being made to an origin, for the fetches that wait for it.
// error and detail are written before `settled` is set.
struct PendingConnect {
  runtime::Future<void> settled;
  // Set when the attempt failed in a way every fetch to the origin would
  // (refused, no such name, bad certificate, blocked): they fail alike instead
  // of trying one after another. Unset: choose again.
  std::optional<FetchError> error;
  std::string detail;
};

class Registry {
 public:
  Registry(Session::Limits limits, std::chrono::milliseconds idle_timeout);
  // Closes every connection.
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  struct Choice {
    Placement::Kind kind;
    std::shared_ptr<Connection> connection;  // use_connection: one stream promised to the caller
    std::shared_ptr<PendingConnect> pending;  // wait_for_connect: to wait for; connect: to settle, once
  };
  Choice choose(const std::string& origin);

  // The ends of a connect that choose() asked for; one of them settles it.
  // A new connection over `tls` (h2 negotiated), not yet offered to others.
  std::shared_ptr<Connection> make(const std::string& origin, std::unique_ptr<Connection::TlsStream> tls);
  // `c` is ready: offered to other fetches (its first stream stays the maker's).
  void connected(const std::shared_ptr<PendingConnect>& p, std::shared_ptr<Connection> c);
  void speaks_http1(const std::shared_ptr<PendingConnect>& p, const std::string& origin);
  void failed(const std::shared_ptr<PendingConnect>& p, const std::string& origin, std::optional<FetchError> shared,
              std::string detail);

  // Closes every connection that has no stream (at the end of a drain).
  void close_idle();
  std::size_t connections() const;

 private:
  struct State;
  std::shared_ptr<State> st_;  // shared with the connections, whose drivers may outlive the registry
};

}  // namespace asyncfetch::h2
