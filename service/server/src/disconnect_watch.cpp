#include "disconnect_watch.hpp"

namespace asyncfetch {

struct DisconnectWatch::State {
  boost::asio::ip::tcp::socket* sock;
  std::function<void()> on_gone;
  bool active = true;    // false once the watch is destroyed: the socket may be gone too
  bool pending = false;  // the receive has not completed yet
  bool gone = false;
  char peeked = 0;  // the byte the receive peeks at (it stays in the socket)
};

DisconnectWatch::DisconnectWatch(boost::asio::ip::tcp::socket& sock, std::function<void()> on_gone)
    : st_(std::make_shared<State>(State{&sock, std::move(on_gone)})) {
  // A peek, not async_wait(wait_read): Asio re-arms the socket in epoll for
  // every wait (a syscall per request), while a receive is just queued.
  st_->pending = true;
  sock.async_receive(boost::asio::buffer(&st_->peeked, 1), boost::asio::socket_base::message_peek,
                     [st = st_](const boost::system::error_code& ec, std::size_t n) {
                       st->pending = false;
                       if (!st->active) return;
                       if (!ec && n > 0) return;  // a pipelined request: the client is still there
                       st->gone = true;           // EOF, reset, or the receive failed
                       st->on_gone();
                     });
}

DisconnectWatch::~DisconnectWatch() {
  st_->active = false;
  if (st_->pending) {
    // Only the watch's receive is pending on the socket while a request is worked on.
    boost::system::error_code ignored;
    st_->sock->cancel(ignored);
  }
}

bool DisconnectWatch::gone() const noexcept { return st_->gone; }

}  // namespace asyncfetch
