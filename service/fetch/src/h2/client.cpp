#include "h2/client.hpp"

#include <openssl/ssl.h>

#include "runtime/timeout.hpp"

namespace asyncfetch::h2 {

using Clock = std::chrono::steady_clock;

namespace {

// Waits for `w` until `deadline`; false when the deadline came first.
template <class Op>
runtime::Task<bool> before(runtime::Wait<Op> w, Clock::time_point deadline) {
  try {
    co_await runtime::wait_for(std::move(w), deadline - Clock::now());
    co_return true;
  } catch (const runtime::TimeoutError&) {
    co_return false;
  }
}

// Failures of one fetch's connect that every fetch to the origin would meet now.
bool shared_by_origin(FetchError e) {
  return e == FetchError::connect_failed || e == FetchError::dns_failed || e == FetchError::tls_failed ||
         e == FetchError::blocked;
}

Outcome failure(FetchError e, std::string detail) {
  Outcome o;
  o.error = e;
  o.detail = std::move(detail);
  return o;
}

// A stream promised on a connection: given back unsent, or reset when the
// fetch is cancelled while it waits for the answer.
class StreamClaim {
 public:
  explicit StreamClaim(std::shared_ptr<Connection> c) : c_(std::move(c)) {}
  ~StreamClaim() {
    if (!c_) return;
    if (!s_) {
      c_->release();
    } else if (!s_->done.is_set()) {
      c_->cancel(s_, FetchError::cancelled, "cancelled");
    }
  }
  StreamClaim(const StreamClaim&) = delete;
  StreamClaim& operator=(const StreamClaim&) = delete;

  Connection& connection() { return *c_; }
  void sent(std::shared_ptr<Stream> s) {
    s_ = s;
    c_->submit(std::move(s));
  }
  void done() { c_.reset(); }

 private:
  std::shared_ptr<Connection> c_;
  std::shared_ptr<Stream> s_;
};

// The connect this fetch took on for the origin: settled once, as abandoned
// (the waiters choose again) when the fetch ends without settling it.
class ConnectTicket {
 public:
  ConnectTicket(Registry& r, std::shared_ptr<PendingConnect> p, const std::string& origin)
      : r_(r), p_(std::move(p)), origin_(origin) {}
  ~ConnectTicket() {
    if (p_) r_.failed(p_, origin_, std::nullopt, "abandoned");
  }
  ConnectTicket(const ConnectTicket&) = delete;
  ConnectTicket& operator=(const ConnectTicket&) = delete;

  void connected(std::shared_ptr<Connection> c) { r_.connected(std::exchange(p_, nullptr), std::move(c)); }
  void http1() { r_.speaks_http1(std::exchange(p_, nullptr), origin_); }
  void failed(FetchError e, const std::string& detail) {
    r_.failed(std::exchange(p_, nullptr), origin_, shared_by_origin(e) ? std::optional(e) : std::nullopt, detail);
  }

 private:
  Registry& r_;
  std::shared_ptr<PendingConnect> p_;
  const std::string& origin_;
};

}  // namespace

bool negotiated_h2(const Connection::TlsStream& tls) {
  const unsigned char* proto = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(const_cast<Connection::TlsStream&>(tls).native_handle(), &proto, &len);
  return len == 2 && proto[0] == 'h' && proto[1] == '2';
}

// Connects, and when h2 was chosen starts the connection and waits for the
// server's SETTINGS; `made` then holds it, with one stream promised to us.
runtime::Task<Outcome> Client::make_connection(const std::string& origin, std::shared_ptr<PendingConnect> pending,
                                               Clock::time_point deadline, const Connect& connect,
                                               std::shared_ptr<Connection>& made) {
  ConnectTicket ticket(registry_, std::move(pending), origin);
  Dialed dialed = co_await connect();
  if (dialed.error) {
    ticket.failed(*dialed.error, dialed.detail);
    co_return failure(*dialed.error, std::move(dialed.detail));
  }
  if (!negotiated_h2(*dialed.connection->tls)) {
    ticket.http1();
    Outcome o;
    o.http1 = std::move(dialed.connection);
    co_return o;
  }
  auto c = registry_.make(origin, std::move(dialed.connection->tls));
  c->start();
  StreamClaim claim(c);  // given back if we leave before the first stream
  if (!co_await before(c->ready().wait(), deadline)) {
    c->close();
    ticket.failed(FetchError::timeout, "no HTTP/2 settings from the server in time");
    co_return failure(FetchError::timeout, "no HTTP/2 settings from the server in time");
  }
  if (!c->accepting) {
    ticket.failed(FetchError::protocol_error, "the HTTP/2 connection ended before it was ready");
    co_return failure(FetchError::protocol_error, "the HTTP/2 connection ended before it was ready");
  }
  ticket.connected(c);
  claim.done();
  made = std::move(c);
  co_return Outcome{};
}

runtime::Task<Outcome> Client::exchange(const std::string& origin, Request request, Clock::time_point deadline,
                                        const Connect& connect) {
  // A stream the server refused unprocessed (REFUSED_STREAM, above a GOAWAY's
  // last stream id) is sent once more, as a pooled HTTP/1.1 connection found
  // closed is replaced once.
  for (bool replayed = false;;) {
    auto choice = registry_.choose(origin);
    std::shared_ptr<Connection> conn;
    bool dialled = false;
    switch (choice.kind) {
      case Placement::use_connection:
        conn = std::move(choice.connection);
        break;
      case Placement::wait_for_connect:
        if (!co_await before(choice.pending->settled.wait(), deadline))
          co_return failure(FetchError::timeout, "timed out waiting for a connection");
        if (choice.pending->error) co_return failure(*choice.pending->error, choice.pending->detail);
        continue;
      case Placement::http1:
        co_return Outcome{};
      case Placement::connect: {
        Outcome o = co_await make_connection(origin, std::move(choice.pending), deadline, connect, conn);
        if (!conn) co_return o;
        dialled = true;
        break;
      }
    }

    StreamClaim claim(conn);
    auto s = std::make_shared<Stream>();
    s->request = std::move(request.headers);
    s->max_body_bytes = request.max_body_bytes;
    s->keep_body = request.keep_body;
    s->decode = request.decode;
    s->request_body = request.body;  // the stream may outlive this fetch (a cancel is sent later)
    claim.sent(s);
    const bool in_time = co_await before(s->done.wait(), deadline);
    if (!in_time) {
      claim.connection().cancel(s, FetchError::timeout, "response timed out");
      claim.done();
      co_await s->settled.wait();
    }
    claim.done();
    if (in_time && s->refused && !replayed) {
      replayed = true;
      request.headers = s->request;  // for the stream that sends it again
      continue;
    }
    Outcome o;
    // What arrived in time (a head, part of a body) is kept with the timeout
    // as the error, as over HTTP/1.1.
    if (!in_time && (s->error || !s->complete)) o = failure(FetchError::timeout, "response timed out");
    o.stream = std::move(s);
    o.reused = !dialled;
    co_return o;
  }
}

}  // namespace asyncfetch::h2
