#include "h2/connection.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

#include "asyncfetch/telemetry/log.hpp"
#include "h2/placement.hpp"
#include "runtime/cancellation.hpp"
#include "runtime/create_task.hpp"
#include "runtime/sleep.hpp"
#include "runtime/timeout.hpp"

namespace asyncfetch::h2 {

namespace net = boost::asio;

namespace {

// The most turns of the loop a write waits for more streams to join it.
constexpr int coalesce_turns = 8;

}  // namespace

Connection::Connection(std::string origin, std::unique_ptr<TlsStream> tls, Session::Limits limits,
                       std::chrono::milliseconds idle_timeout, std::shared_ptr<ConnectionOwner> owner)
    : origin_(std::move(origin)),
      tls_(std::move(tls)),
      idle_timeout_(idle_timeout),
      owner_(std::move(owner)),
      session_(limits) {}

Connection::~Connection() = default;

void Connection::start() { runtime::create_task(drive()); }

void Connection::submit(std::shared_ptr<Stream> s) {
  std::lock_guard lk(ended_m_);
  if (ended_) return unsent(s, "the connection has ended");
  inbox_.try_put(Command{Command::submit, std::move(s)});
}

void Connection::release() {
  streams.fetch_sub(1);
  inbox_.try_put(Command{Command::poke});  // the driver may be idle now
}

void Connection::cancel(std::shared_ptr<Stream> s, FetchError reason, std::string detail) {
  inbox_.try_put(Command{Command::cancel, std::move(s), reason, std::move(detail)});
}

void Connection::close() { inbox_.try_put(Command{Command::close}); }

runtime::Task<void> Connection::drive() {
  const auto self = shared_from_this();  // the driver keeps its connection
  ex_ = co_await net::this_coro::executor;
  try {
    read();
    flush();
    while (open_) {
      Command c = co_await next_command();
      handle(c);
      handle_arrived();
      // While other streams wait for answers, a write waits a few turns of
      // the loop for the fetches that the answers just read have woken (and
      // for what else is read meanwhile): their requests then go out
      // together, one TLS record and one send for many HEADERS, not one
      // each. Over at the first turn that brings nothing.
      for (int turn = 0; turn < coalesce_turns && coalescing(); ++turn) {
        settle_streams();
        co_await runtime::yield();
        if (!handle_arrived()) break;
      }
      after_commands();
    }
  } catch (const std::exception& e) {
    // Cancelled (the loop is ending) or out of memory: no more waits here.
    if (!runtime::is_cancellation(e)) log::error("HTTP/2 connection failed", {{"origin", origin_}, {"what", e.what()}});
    end(runtime::is_cancellation(e) ? "cancelled" : e.what());
  }
}

// The next command; an idle connection (no stream open or promised) that
// hears nothing for the idle timeout offers to retire, and closes if the
// registry agrees (none was promised meanwhile).
runtime::Task<Connection::Command> Connection::next_command() {
  while (!closing_ && streams.load() == 0) {
    try {
      co_return co_await runtime::wait_for(inbox_.get(), idle_timeout_);
    } catch (const runtime::TimeoutError&) {
    }
    if (owner_->retire_if_idle(*this)) {
      accepting = false;
      closing_ = true;
      session_.shut_down();
      co_return Command{Command::poke};
    }
  }
  co_return co_await inbox_.get();
}

void Connection::handle(Command& c) {
  switch (c.kind) {
    case Command::submit: {
      auto& s = c.stream;
      if (closing_ || session_.goaway_received()) {
        unsent(s, "the connection is closing");
      } else if (!session_.submit(s->request, *s)) {
        stream_ended(s);
      } else {
        s->submitted = std::chrono::steady_clock::now();
        active_.emplace(s.get(), s);
      }
      break;
    }
    case Command::cancel:
      if (!active_.count(c.stream.get())) break;
      // A write pending since before the stream began has not moved for all
      // its life: the server reads nothing, and no RST_STREAM would reach it.
      if (c.reason == FetchError::timeout && writing_ && write_started_ <= c.stream->submitted) {
        end("the server stopped reading");
        break;
      }
      // The stream's error is set now, and the session's callbacks leave an
      // answer with an error alone.
      session_.cancel(*c.stream, c.reason, std::move(c.detail));
      c.stream->settled.set();
      break;
    case Command::received:
      if (c.ec) {
        const bool eof = c.ec == net::error::eof || c.ec == net::ssl::error::stream_truncated;
        end(eof ? "connection closed by the server" : "read: " + c.ec.message());
      } else if (!session_.receive(rbuf_.data(), c.bytes)) {
        end("HTTP/2: " + session_.error());
      } else {
        read();
      }
      break;
    case Command::written:
      writing_ = false;
      if (c.ec) end("write: " + c.ec.message());
      break;
    case Command::close:
      if (active_.empty()) {
        accepting = false;
        closing_ = true;
        session_.shut_down();
      } else {
        end("closed");
      }
      break;
    case Command::poke:
      break;
  }
}

// Worth waiting: frames to write, no write in flight (its completion starts
// the next anyway), and other streams open whose answers wake more requests.
bool Connection::coalescing() const {
  return open_ && !writing_ && !closing_ && active_.size() > 1 && session_.wants_write();
}

// Handles what has arrived in the inbox meanwhile; false when nothing had.
bool Connection::handle_arrived() {
  bool any = false;
  while (open_) {
    auto more = inbox_.try_get();
    if (!more) break;
    any = true;
    handle(*more);
  }
  return any;
}

void Connection::after_commands() {
  if (!open_) return;
  flush();
  settle_streams();
  if (!writing_ && (session_.finished() || closing_)) end(closing_ ? "closed while idle" : "HTTP/2 session over");
}

// The streams nghttp2 has closed end for their fetches; the capacity the
// server allows and its GOAWAY reach the registry.
void Connection::settle_streams() {
  for (StreamState* p : session_.take_closed()) {
    const auto it = active_.find(p);
    if (it == active_.end()) continue;
    auto s = std::move(it->second);
    active_.erase(it);
    stream_ended(s);
  }
  if (session_.settings_received()) {
    capacity = stream_capacity(session_.max_concurrent_streams());
    if (!ready_set_) {
      ready_set_ = true;
      ready_.set_value();
    }
  }
  if (session_.goaway_received() && accepting.exchange(false)) owner_->forget(*this);
}

void Connection::read() {
  tls_->async_read_some(net::buffer(rbuf_), net::bind_executor(ex_, [self = shared_from_this()](
                                                                        boost::system::error_code ec, std::size_t n) {
                          self->inbox_.try_put(Command{Command::received, nullptr, {}, {}, ec, n});
                        }));
}

// One write in flight at a time; what nghttp2 has queued meanwhile goes with the next.
void Connection::flush() {
  if (writing_ || !open_) return;
  wbuf_.clear();
  if (!session_.produce(wbuf_)) return end("HTTP/2: " + session_.error());
  if (wbuf_.empty()) return;
  writing_ = true;
  write_started_ = std::chrono::steady_clock::now();
  net::async_write(*tls_, net::buffer(wbuf_),
                   net::bind_executor(ex_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                     self->inbox_.try_put(Command{Command::written, nullptr, {}, {}, ec});
                   }));
}

void Connection::stream_ended(const std::shared_ptr<Stream>& s) {
  streams.fetch_sub(1);
  s->settled.set();
  s->done.set();
}

// Never sent: another connection may take it.
void Connection::unsent(const std::shared_ptr<Stream>& s, const char* why) {
  s->refused = true;
  s->error = FetchError::protocol_error;
  s->detail = why;
  stream_ended(s);
}

// The connection is over: no more streams, the open ones fail, the socket
// closes (its pending read and write complete into an inbox nobody reads).
void Connection::end(const std::string& reason) {
  if (!open_) return;
  open_ = false;
  accepting = false;
  owner_->forget(*this);
  session_.fail_all(FetchError::protocol_error, "HTTP/2 connection ended: " + reason);
  session_.take_closed();
  for (auto& [p, s] : active_) stream_ended(s);
  active_.clear();
  {
    // From now on submit() turns streams away itself; those already queued are turned away here.
    std::lock_guard lk(ended_m_);
    ended_ = true;
  }
  while (auto c = inbox_.try_get())
    if (c->kind == Command::submit) unsent(c->stream, "the connection ended before the request was sent");
  boost::system::error_code ignored;  // closing is all there is to do
  tls_->next_layer().close(ignored);
  if (!ready_set_) {
    ready_set_ = true;
    ready_.set_value();
  }
  log::debug("HTTP/2 connection closed", {{"origin", origin_}, {"reason", reason}});
}

}  // namespace asyncfetch::h2
