#include "drain_control.hpp"

#include <boost/asio/post.hpp>

namespace asyncfetch {

DrainControl::Entry::Entry(DrainControl& drain, const boost::asio::any_io_executor& ex,
                           boost::beast::tcp_stream& stream)
    : drain_(drain), c_(std::make_shared<Connection>(Connection{ex, &stream, false})) {
  std::lock_guard lk(drain_.m_);
  drain_.connections_.emplace(c_.get(), c_);
}

DrainControl::Entry::~Entry() {
  c_->stream = nullptr;  // on the session's executor, like every other touch
  std::lock_guard lk(drain_.m_);
  drain_.connections_.erase(c_.get());
}

void DrainControl::Entry::busy(bool b) noexcept { c_->busy = b; }

void DrainControl::begin() {
  draining_.store(true, std::memory_order_release);
  // A session waiting for its next request wakes up with operation_aborted,
  // sees draining() and ends.
  std::lock_guard lk(m_);
  for (auto& [_, c] : connections_) {
    boost::asio::post(c->ex, [c = c] {
      if (c->stream && !c->busy) c->stream->cancel();
    });
  }
}

}  // namespace asyncfetch
