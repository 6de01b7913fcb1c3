#include "disconnect_watch.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace asyncfetch {

struct DisconnectWatch::State {
  boost::asio::ip::tcp::socket* sock;
  std::function<void()> on_gone;
  bool active = true;   // false once the watch is destroyed: the socket may be gone too
  bool waiting = false;  // a wait is pending (the destructor cancels it)
  bool gone = false;
};

DisconnectWatch::DisconnectWatch(boost::asio::ip::tcp::socket& sock, std::function<void()> on_gone)
    : st_(std::make_shared<State>(State{&sock, std::move(on_gone)})) {
  arm(st_);
}

DisconnectWatch::~DisconnectWatch() {
  st_->active = false;
  if (st_->waiting) {
    // Only the watch's wait is pending on the socket while a request is worked on.
    boost::system::error_code ignored;
    st_->sock->cancel(ignored);
  }
}

bool DisconnectWatch::gone() const noexcept { return st_->gone; }

void DisconnectWatch::arm(const std::shared_ptr<State>& st) {
  st->waiting = true;
  st->sock->async_wait(boost::asio::ip::tcp::socket::wait_read, [st](const boost::system::error_code& ec) {
    st->waiting = false;
    if (!st->active) return;
    if (!ec) {
      char c;
      auto n = ::recv(st->sock->native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return arm(st);
      if (n > 0) return;  // a pipelined request: the client is still there
    }
    st->gone = true;  // EOF, reset, or the wait failed
    st->on_gone();
  });
}

}  // namespace asyncfetch
