// Notices a /fetch client going away while its request is worked on, so that
// its fetches can be cancelled. One pending receive on the client's socket
// with a callback: no coroutine and no task per request (racing the request
// against a read would take a parallel group and two co_spawns).
//
// The client has gone when it closes or resets the connection; `on_gone` then
// runs once. Data from the client (a pipelined request) means it is still
// there: the watch ends and leaves the data for the next request.
//
// Construct and destroy it on the socket's executor (the session's); the
// callback runs there too.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>

namespace asyncfetch {

class DisconnectWatch {
 public:
  DisconnectWatch(boost::asio::ip::tcp::socket& sock, std::function<void()> on_gone);
  // Stops watching: the pending receive is cancelled and its callback does nothing.
  ~DisconnectWatch();
  DisconnectWatch(const DisconnectWatch&) = delete;
  DisconnectWatch& operator=(const DisconnectWatch&) = delete;

  bool gone() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> st_;  // shared with the pending receive, which may outlive the watch
};

}  // namespace asyncfetch
