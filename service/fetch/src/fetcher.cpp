#include "asyncfetch/fetch/fetcher.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <bit>
#include <type_traits>

#include "asyncfetch/telemetry/log.hpp"
#include "asyncfetch/wire/address_order.hpp"
#include "asyncfetch/wire/connect_answer.hpp"
#include "asyncfetch/wire/content_coding.hpp"
#include "asyncfetch/wire/credentials.hpp"
#include "asyncfetch/wire/h2_request_headers.hpp"
#include "asyncfetch/wire/proxy.hpp"
#include "asyncfetch/wire/request_head.hpp"
#include "asyncfetch/wire/trace_context.hpp"
#include "asyncfetch/wire/url.hpp"
#include "capped_body.hpp"
#include "connection_pool.hpp"
#include "deadline.hpp"
#include "happy_eyeballs.hpp"
#include "hedge.hpp"
#include "h2/client.hpp"
#include "redirect_policy.hpp"
#include "retry_policy.hpp"
#include "tls_session_cache.hpp"
#include "runtime/cancellation.hpp"
#include "runtime/nothrow.hpp"
#include "runtime/race.hpp"
#include "runtime/sleep.hpp"
#include "try_timings.hpp"

namespace asyncfetch {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using beast::error_code;

namespace {

constexpr std::size_t max_response_header_bytes = 64 * 1024;
constexpr std::size_t max_pooled_read_buffer_bytes = 16 * 1024;

// The outcome of one HTTP exchange (one hop of one try). Small on purpose:
// each coroutine of a fetch holds a few (its own, its callee's result, the
// await temporaries) in its frame for as long as the fetch is in flight, and a
// fan-out keeps thousands of fetches in flight; the parts most hops never set
// live behind a pointer.
struct Hop {
  std::optional<FetchError> error;
  int status = 0;  // 0: no response
  bool truncated = false;
  std::optional<HttpVersion> version;  // of the response
  std::uint64_t bytes = 0;             // of the body, decoded
  struct Rare {
    std::string detail;
    std::string body;      // with include_body
    std::string location;  // a redirect's target
    std::optional<std::chrono::milliseconds> retry_after;
    std::string content_encoding;              // normalised; empty: none
    std::optional<std::uint64_t> wire_bytes;   // when not `bytes` (a decoded body)
    std::optional<ResponseHeaders> headers;    // with include_headers
  };
  std::unique_ptr<Rare> rare;

  Rare& more() {
    if (!rare) rare = std::make_unique<Rare>();
    return *rare;
  }
};

Hop fail(FetchError code, std::string detail) {
  Hop h;
  h.error = code;
  h.more().detail = std::move(detail);
  return h;
}

// The proxies in force: the `proxy` key, else the environment's variables;
// NO_PROXY either way. The configuration has validated every value.
ProxyRoutes proxy_routes(const Config& c) {
  ProxyRoutes r;
  r.no_proxy = *NoProxy::parse(c.proxy_env.no_proxy);
  if (c.proxy == "none") return r;
  if (!c.proxy.empty()) {
    r.http = r.https = parse_proxy(c.proxy);
    return r;
  }
  if (!c.proxy_env.http_proxy.empty()) r.http = parse_proxy(c.proxy_env.http_proxy);
  if (!c.proxy_env.https_proxy.empty()) r.https = parse_proxy(c.proxy_env.https_proxy);
  return r;
}

// Beast's parser reads any HTTP/1.x: a later minor version than 1.1 is read
// as 1.1 (RFC 9110 §2.5).
HttpVersion version_of(unsigned beast_version) noexcept {
  return beast_version == 10 ? HttpVersion::http_1_0 : HttpVersion::http_1_1;
}

// What a response head and its (capped, decoded) body tell, over either protocol.
Hop answer(http::response<CappedBody>& res, HttpVersion version, const FetchOptions& o) {
  Hop h;
  auto& body = res.body();
  h.status = static_cast<int>(res.result_int());
  h.version = version;
  h.bytes = body.received;
  h.truncated = body.truncated;
  if (body.wire_bytes != body.received) h.more().wire_bytes = body.wire_bytes;
  if (o.include_body) h.more().body = std::move(body.data);
  if (auto it = res.find(http::field::location); it != res.end()) h.more().location = std::string(it->value());
  if (auto it = res.find(http::field::retry_after); it != res.end()) h.more().retry_after = parse_retry_after(it->value());
  if (res.find(http::field::content_encoding) != res.end())
    h.more().content_encoding = normalize_content_encoding(content_encoding_field(res));
  if (o.include_headers) {
    ResponseHeadersBuilder fields;
    for (const auto& f : res) fields.add(f.name_string(), f.value());
    h.more().headers = fields.take();
  }
  return h;
}

// ALPN, when HTTP/2 is on: h2 first, HTTP/1.1 for servers without it.
constexpr unsigned char alpn_h2_http1[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// Measures one phase of a try into `timings`, when there are timings to
// keep: from its making to stop() (or its end, when a cancellation cuts the
// phase short).
class PhaseClock {
 public:
  PhaseClock(TryTimings* timings, TryTimings::Phase phase) noexcept
      : timings_(timings), phase_(phase), start_(timings ? Clock::now() : Clock::time_point{}) {}
  ~PhaseClock() { stop(); }
  void stop() noexcept {
    if (timings_) timings_->add(phase_, Clock::now() - start_);
    timings_ = nullptr;
  }
  PhaseClock(const PhaseClock&) = delete;
  PhaseClock& operator=(const PhaseClock&) = delete;

 private:
  TryTimings* timings_;
  TryTimings::Phase phase_;
  Clock::time_point start_;
};

}  // namespace

struct Fetcher::Impl {
  Impl(const Config& c, EgressPolicy p, Stats& s)
      : config(c),
        policy(std::move(p)),
        routes(proxy_routes(c)),
        stats(s),
        tls_ctx(ssl::context::tls_client),
        tls_sessions(std::make_shared<TlsSessionCache>()),
        pool(c.pool_max_idle_per_host, std::chrono::milliseconds(c.pool_idle_timeout_ms)) {
    if (c.http2) h2.emplace(h2::Session::Limits{max_response_header_bytes}, std::chrono::milliseconds(c.pool_idle_timeout_ms));
    tls_ctx.set_default_verify_paths();
    if (!config.ca_file.empty()) tls_ctx.load_verify_file(config.ca_file);
    tls_ctx.set_verify_mode(ssl::verify_peer);
    capture_sessions(tls_ctx.native_handle());
  }

  const Config config;
  const EgressPolicy policy;
  const ProxyRoutes routes;
  Stats& stats;
  ssl::context tls_ctx;
  // Sessions to resume, per origin. Each SSL that fills it holds it too, so
  // that none can outlive it, wherever its connection ends.
  std::shared_ptr<TlsSessionCache> tls_sessions;
  ConnectionPool pool;
  std::optional<h2::Client> h2;  // with config http2

  // `timings` (all of them): none unless include_timings.
  runtime::Task<Hop> lookup(const std::string& host, std::uint16_t port, Clock::time_point connect_deadline,
                            Clock::time_point deadline, std::vector<tcp::endpoint>& out, TryTimings* timings);
  runtime::Task<Hop> open_tunnel(tcp::socket& sock, const Url& url, const ProxyServer& proxy,
                                 Clock::time_point connect_deadline, Clock::time_point deadline);
  runtime::Task<Hop> connect(const Url& url, Clock::time_point deadline, std::unique_ptr<Connection>& out,
                             TryTimings* timings, bool offer_h2 = false);
  runtime::Task<h2::Dialed> dial_h2(const Url& url, Clock::time_point deadline, TryTimings* timings);
  // `leg`: the hedge leg a try is (none: the try is not hedged).
  runtime::Task<std::optional<Hop>> over_h2(const Url& url, const std::string& origin, const FetchOptions& o,
                                            bool strip_credentials, Clock::time_point deadline,
                                            const ServiceFields& service, std::unique_ptr<Connection>& fresh,
                                            TryTimings* timings, const HedgeLeg* leg);
  runtime::Task<Hop> exchange(const Url& url, const std::string& origin, const FetchOptions& o,
                              bool strip_credentials, Clock::time_point deadline, TryTimings* timings,
                              const HedgeLeg* leg);
  template <class Stream>
  runtime::Task<Hop> round_trip(Stream& s, Connection& c, const std::string& head, bool head_method,
                                const FetchOptions& o, Clock::time_point deadline, bool& keep_alive,
                                TryTimings* timings, const HedgeLeg* leg);
  runtime::Task<Hop> one_try(Url url, const FetchOptions& o, Clock::time_point deadline, TryTimings* timings,
                             const HedgeLeg* leg = nullptr);
  runtime::Task<Hop> hedge_leg(const Url& url, const FetchOptions& o, Clock::time_point deadline,
                               TryTimings* timings, HedgeGate& gate, unsigned index);
  runtime::Task<Hop> hedged_try(const Url& url, const FetchOptions& o, Clock::time_point deadline,
                                std::unique_ptr<TryTimings>& timings, bool& hedged);
};

// The addresses of a host name: the `resolve` map's when it names the host,
// else the resolver's.
runtime::Task<Hop> Fetcher::Impl::lookup(const std::string& host, std::uint16_t port,
                                         Clock::time_point connect_deadline, Clock::time_point deadline,
                                         std::vector<tcp::endpoint>& out, TryTimings* timings) {
  if (auto it = config.resolve.find(host); it != config.resolve.end()) {
    for (const auto& a : it->second) out.emplace_back(net::ip::make_address(a), port);
    co_return Hop{};
  }
  auto ex = co_await net::this_coro::executor;
  tcp::resolver resolver(ex);
  Deadline guard(ex, connect_deadline, [&resolver] { resolver.cancel(); });
  PhaseClock dns(timings, TryTimings::Phase::dns);
  auto [ec, results] = co_await resolver.async_resolve(host, std::to_string(port), runtime::nothrow);
  dns.stop();
  if (guard.expired())
    co_return fail(Clock::now() >= deadline ? FetchError::timeout : FetchError::dns_failed, "DNS lookup timed out");
  if (ec == net::error::operation_aborted) co_return fail(FetchError::cancelled, "cancelled");
  if (ec) co_return fail(FetchError::dns_failed, ec.message());
  for (const auto& r : results) out.push_back(r.endpoint());
  co_return Hop{};
}

// Asks a forward proxy for a tunnel to `url` (CONNECT) on a socket connected
// to it; anything but a 2xx answer is the proxy refusing.
runtime::Task<Hop> Fetcher::Impl::open_tunnel(tcp::socket& sock, const Url& url, const ProxyServer& proxy,
                                              Clock::time_point connect_deadline, Clock::time_point deadline) {
  Deadline guard(co_await net::this_coro::executor, connect_deadline, sock);
  // A proxy that fails is the operator's to fix (results carry only the
  // error code): each failure is logged, the proxy named with its
  // credentials masked.
  auto proxy_failed = [&](FetchError error, std::string why) {
    log::warn("proxy failed", {{"proxy", proxy.display}, {"target", url.origin()}, {"why", why}});
    return fail(error, "proxy " + proxy.display + ": " + why);
  };
  auto timed_out_or = [&](FetchError otherwise, std::string why) {
    if (guard.expired())
      return proxy_failed(Clock::now() >= deadline ? FetchError::timeout : FetchError::connect_failed,
                          "did not answer CONNECT in time");
    return proxy_failed(otherwise, std::move(why));
  };
  const std::string request = connect_request(url, proxy);
  auto [wec, wn] = co_await net::async_write(sock, net::buffer(request), runtime::nothrow);
  if (wec == net::error::operation_aborted && !guard.expired()) co_return fail(FetchError::cancelled, "cancelled");
  if (wec) co_return timed_out_or(FetchError::connect_failed, wec.message());

  // Read until the answer can be judged (connect_answer.hpp): at most
  // max_connect_answer_bytes, each read appended to what came before.
  beast::flat_buffer buffer(max_connect_answer_bytes);
  ConnectAnswer answer;
  bool closed = false;
  while (true) {
    const auto seen = buffer.data();
    answer = judge_connect_answer(std::string_view(static_cast<const char*>(seen.data()), seen.size()), closed);
    if (answer.kind != ConnectAnswer::Kind::need_more) break;
    auto [rec, rn] = co_await sock.async_read_some(buffer.prepare(buffer.max_size() - buffer.size()), runtime::nothrow);
    buffer.commit(rn);
    if (rec == net::error::operation_aborted && !guard.expired()) co_return fail(FetchError::cancelled, "cancelled");
    if (rec == net::error::eof) {
      closed = true;
    } else if (rec) {
      co_return timed_out_or(FetchError::connect_failed, "answered CONNECT with no HTTP response (" + rec.message() + ")");
    }
  }
  switch (answer.kind) {
    case ConnectAnswer::Kind::tunnel_open:
      break;
    case ConnectAnswer::Kind::refused:
      co_return proxy_failed(FetchError::connect_failed,
                             "refused CONNECT: " + std::to_string(answer.status) + " " + answer.reason);
    case ConnectAnswer::Kind::data_after_answer:
      co_return proxy_failed(FetchError::protocol_error, "sent data after its CONNECT answer");
    case ConnectAnswer::Kind::not_http:
    case ConnectAnswer::Kind::too_big:
    case ConnectAnswer::Kind::need_more:
      co_return timed_out_or(FetchError::connect_failed, "answered CONNECT with no HTTP response (" + answer.why + ")");
  }
  co_return Hop{};
}

// Resolves (unless the host is an IP), applies the egress policy to every
// address, connects to an allowed one (or, through a proxy, to the proxy,
// once the target's addresses are allowed) and, for https, shakes hands.
runtime::Task<Hop> Fetcher::Impl::connect(const Url& url, Clock::time_point deadline,
                                          std::unique_ptr<Connection>& out, TryTimings* timings, bool offer_h2) {
  auto ex = co_await net::this_coro::executor;
  auto connect_deadline = std::min(deadline, Clock::now() + std::chrono::milliseconds(config.connect_timeout_ms));

  std::vector<tcp::endpoint> resolved;
  if (url.host_is_ip) {
    resolved.emplace_back(net::ip::make_address(url.host), url.port);
  } else {
    Hop h = co_await lookup(url.host, url.port, connect_deadline, deadline, resolved, timings);
    if (h.error) co_return h;
  }
  std::vector<tcp::endpoint> allowed;
  // Decided on the very addresses we will connect to: no second lookup.
  for (const auto& ep : resolved)
    if (policy.allows(ep.address())) allowed.push_back(ep);
  if (allowed.empty())
    co_return fail(resolved.empty() ? FetchError::dns_failed : FetchError::blocked,
                   resolved.empty() ? "no address" : "address not allowed by the egress policy");

  // Through a proxy, what is dialled is the proxy (the operator's choice: no
  // policy on it), and only once the target has passed.
  const ProxyServer* proxy = routes.for_target(url);
  if (proxy) {
    allowed.clear();
    if (proxy->host_is_ip) {
      allowed.emplace_back(net::ip::make_address(proxy->host), proxy->port);
    } else {
      Hop h = co_await lookup(proxy->host, proxy->port, connect_deadline, deadline, allowed, timings);
      if (h.error) {
        if (*h.error == FetchError::dns_failed) h.error = FetchError::connect_failed;
        h.more().detail = "proxy " + proxy->display + ": " + h.more().detail;
        co_return h;
      }
    }
  }

  auto c = std::make_unique<Connection>();
  c->origin = url.origin();
  pool.adopt(*c);
  if (url.https()) {
    c->tls = std::make_unique<ssl::stream<tcp::socket>>(ex, tls_ctx);
  } else {
    c->plain = std::make_unique<tcp::socket>(ex);
  }
  auto& sock = c->socket();
  {
    // Happy Eyeballs over the addresses, IPv6 and IPv4 alternating (all share the port).
    std::vector<net::ip::address> addresses;
    for (const auto& ep : allowed) addresses.push_back(ep.address());
    std::vector<tcp::endpoint> order;
    for (const auto& a : interleave_families(addresses)) order.emplace_back(a, allowed.front().port());
    PhaseClock connecting(timings, TryTimings::Phase::connect);
    const auto r = co_await connect_first(sock, order, std::chrono::milliseconds(config.happy_eyeballs_delay_ms),
                                          connect_deadline);
    connecting.stop();
    if (r.error) {
      if (r.error == net::error::operation_aborted && !r.timed_out) co_return fail(FetchError::cancelled, "cancelled");
      const std::string why = r.timed_out ? "connect timed out" : r.error.message();
      if (proxy) log::warn("proxy failed", {{"proxy", proxy->display}, {"target", url.origin()}, {"why", why}});
      co_return fail(r.timed_out && Clock::now() >= deadline ? FetchError::timeout : FetchError::connect_failed,
                     proxy ? "proxy " + proxy->display + ": " + why : why);
    }
  }
  sock.set_option(tcp::no_delay(true));
  stats.connection_opened();
  if (proxy && url.https()) {
    // The tunnel is part of connecting: its time counts as connect.
    PhaseClock tunnelling(timings, TryTimings::Phase::connect);
    Hop h = co_await open_tunnel(sock, url, *proxy, connect_deadline, deadline);
    if (h.error) co_return h;
  }

  if (c->tls) {
    if (!url.host_is_ip && !SSL_set_tlsext_host_name(c->tls->native_handle(), url.host.c_str()))
      co_return fail(FetchError::tls_failed, "cannot set SNI");
    c->tls->set_verify_callback(ssl::host_name_verification(url.host));
    if (offer_h2 && SSL_set_alpn_protos(c->tls->native_handle(), alpn_h2_http1, sizeof alpn_h2_http1) != 0)
      co_return fail(FetchError::tls_failed, "cannot offer ALPN");
    // A session only ever goes back to its own origin: the same host, so the
    // same SNI and the same verification as the handshake that made it.
    offer_session(c->tls->native_handle(), tls_sessions, c->origin);
    Deadline guard(ex, deadline, sock);
    PhaseClock handshake(timings, TryTimings::Phase::tls);
    auto [hec] = co_await c->tls->async_handshake(ssl::stream_base::client, runtime::nothrow);
    handshake.stop();
    if (hec) {
      if (guard.expired()) co_return fail(FetchError::timeout, "TLS handshake timed out");
      if (hec == net::error::operation_aborted) co_return fail(FetchError::cancelled, "cancelled");
      co_return fail(FetchError::tls_failed, hec.message());
    }
    handshake_succeeded(c->tls->native_handle());
    stats.tls_handshake(SSL_session_reused(c->tls->native_handle()) == 1);
  }
  out = std::move(c);
  co_return Hop{};
}

namespace {

// How a request's write failed. (Out of round_trip, like read_failed: the
// temporaries of what is said would sit in the frame of every exchange.)
Hop write_failed(error_code ec, bool timed_out) {
  if (timed_out) return fail(FetchError::timeout, "request timed out");
  if (ec == net::error::operation_aborted) return fail(FetchError::cancelled, "cancelled");
  return fail(FetchError::protocol_error, "write: " + ec.message());
}

// How a response's read failed, into `h` (which keeps the head's status when
// one came).
void read_failed(Hop& h, error_code ec, const CappedBody::value_type& body, bool timed_out) {
  if (ec == http::error::body_limit) {
    h.error = FetchError::too_large;
    h.more().detail = "body over max_body_bytes";
  } else if (body.bad_encoding) {
    h.error = FetchError::protocol_error;
    h.more().detail = std::string("Content-Encoding ") + h.more().content_encoding + ": " +
                      (*body.bad_encoding == DecodeStatus::truncated ? "the body ends mid-stream" : "corrupt data");
  } else if (timed_out) {
    h.error = FetchError::timeout;
    h.more().detail = "response timed out";
  } else if (ec == net::error::operation_aborted) {
    h.error = FetchError::cancelled;
  } else {
    h.error = FetchError::protocol_error;
    h.more().detail = "read: " + ec.message();
  }
}

}  // namespace

template <class Stream>
runtime::Task<Hop> Fetcher::Impl::round_trip(Stream& s, Connection& c, const std::string& head, bool head_method,
                                             const FetchOptions& o, Clock::time_point deadline, bool& keep_alive,
                                             TryTimings* timings, const HedgeLeg* leg) {
  keep_alive = false;
  Deadline guard(co_await net::this_coro::executor, deadline, c.socket());
  const std::array<net::const_buffer, 2> request{net::buffer(head), net::buffer(o.body.data(), o.body.size())};
  error_code wec;
  std::size_t sent = 0;
  bool written = false;
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    // A request nearly always fits in the send buffer of a connection that is
    // idle: written now, it spares the composed async write and the loop turn
    // of its completion; whatever does not fit is written asynchronously.
    if (!s.non_blocking()) s.non_blocking(true, wec);  // once per connection (an ioctl)
    if (!wec) sent = net::write(s, request, wec);
    written = !(wec == net::error::would_block || wec == net::error::try_again);
    if (!written) wec = {};
  }
  if (!written) {
    beast::buffers_suffix<std::array<net::const_buffer, 2>> rest(request);
    rest.consume(sent);
    auto [ec, wn] = co_await net::async_write(s, rest, runtime::nothrow);
    wec = ec;
  }
  if (wec) co_return write_failed(wec, guard.expired());

  http::response_parser<CappedBody> parser;
  parser.header_limit(max_response_header_bytes);
  parser.body_limit(boost::none);  // CappedBody enforces max_body_bytes and counts
  auto& body = parser.get().body();
  body.cap = config.max_body_bytes;
  body.keep = o.include_body;
  body.decode = o.decode;
  if (head_method) parser.skip(true);

  // The first bytes are read here, not by http::async_read: their arrival is
  // the response's first byte (ttfb), and an answer that came whole with them
  // is parsed at once, without the composed read and its completion.
  error_code rec;
  std::size_t rn = 0;
  if (c.buffer.size() == 0) {
    auto [ec, n] = co_await s.async_read_some(c.buffer.prepare(beast::read_size(c.buffer, 65536)), runtime::nothrow);
    c.buffer.commit(n);
    rn = n;
    // Nothing came: as http::async_read reports it.
    rec = ec == net::error::eof ? error_code(http::error::end_of_stream) : ec;
  }
  if (timings && c.buffer.size() != 0) timings->response_began(Clock::now());
  // A hedged try whose head came second gives way (the race cancels it, and
  // its connection closes with it).
  if (leg && c.buffer.size() != 0 && !leg->claim()) co_await give_way();
  if (!rec) {
    parser.eager(true);
    while (c.buffer.size() != 0 && !parser.is_done()) {
      const std::size_t used = parser.put(c.buffer.data(), rec);
      c.buffer.consume(used);
      if (rec == http::error::need_more) rec = {};
      if (rec || used == 0) break;
    }
    if (!rec && !parser.is_done()) {
      auto [ec, n] = co_await http::async_read(s, c.buffer, parser, runtime::nothrow);
      rec = ec;
      rn += n;
    }
  }

  Hop h;
  const auto& res = parser.get();
  if (parser.is_header_done()) h = answer(parser.get(), version_of(res.version()), o);
  if (rec) {
    read_failed(h, rec, body, guard.expired());
    co_return h;
  }
  keep_alive = res.keep_alive() && parser.is_done();
  // Beast reads max(512, free room) at a time and the parser takes all it is
  // given, so a buffer left at 512 bytes needs three reads for a 1 KiB answer.
  // A connection kept for reuse gets room for an answer like this one, and
  // the next arrives in one read (bounded: idle pooled connections keep it).
  if (keep_alive && rn > c.buffer.capacity())
    c.buffer.reserve(std::min(std::bit_ceil(rn), max_pooled_read_buffer_bytes));
  co_return h;
}

runtime::Task<h2::Dialed> Fetcher::Impl::dial_h2(const Url& url, Clock::time_point deadline, TryTimings* timings) {
  h2::Dialed d;
  Hop h = co_await connect(url, deadline, d.connection, timings, /*offer_h2=*/true);
  if (h.error) {
    d.error = h.error;
    if (h.rare) d.detail = std::move(h.rare->detail);
  }
  co_return d;
}

// The exchange over HTTP/2 when the origin speaks it (see h2/client.hpp);
// nullopt when it speaks HTTP/1.1, with `fresh` the connection made to find
// out, if one was.
runtime::Task<std::optional<Hop>> Fetcher::Impl::over_h2(const Url& url, const std::string& origin,
                                                          const FetchOptions& o, bool strip_credentials,
                                                          Clock::time_point deadline, const ServiceFields& service,
                                                          std::unique_ptr<Connection>& fresh, TryTimings* timings,
                                                          const HedgeLeg* leg) {
  h2::Client::Request request{
      h2_request_headers(o.method, url, o.headers, strip_credentials, o.body.size(), service), config.max_body_bytes,
      o.include_body, o.decode, o.body};
  auto out =
      co_await h2->exchange(origin, std::move(request), deadline, [&] { return dial_h2(url, deadline, timings); });
  if (out.reused) stats.connection_reused();
  if (out.stream) {
    auto& s = *out.stream;
    if (timings && s.head_at) timings->response_began(*s.head_at);
    // The stream's head is known here, once the stream has ended.
    if (leg && s.head_done && !leg->claim()) co_await give_way();
    Hop h;
    if (s.head_done) h = answer(s.message, HttpVersion::http_2, o);
    if (out.error) {
      h.error = out.error;
      h.more().detail = std::move(out.detail);
    } else if (s.error) {
      h.error = s.error;
      h.more().detail = std::move(s.detail);
    }
    co_return h;
  }
  if (out.error) co_return fail(*out.error, std::move(out.detail));
  fresh = std::move(out.http1);
  co_return std::nullopt;
}

// One HTTP exchange on a pooled or new connection (https over HTTP/2 when
// the server offers it). A pooled connection that the server closed while
// idle is detected on first use and replaced once.
runtime::Task<Hop> Fetcher::Impl::exchange(const Url& url, const std::string& origin, const FetchOptions& o,
                                           bool strip_credentials, Clock::time_point deadline, TryTimings* timings,
                                           const HedgeLeg* leg) {
  // An idle HTTP/1.1 connection to the origin: its server chose HTTP/1.1
  // lately. Not for a hedge: it goes on a connection of its own.
  auto first = leg && leg->index == 1 ? nullptr : pool.take(origin);
  const bool pooled = first != nullptr;
  // Each request sent is a span of its own in the caller's trace.
  const std::string traceparent = o.trace ? format_traceparent(child_of(*o.trace)) : std::string();
  const ServiceFields service{o.decode ? accept_encoding() : std::string_view(), traceparent};
  if (!pooled && h2 && url.https()) {
    auto h = co_await over_h2(url, origin, o, strip_credentials, deadline, service, first, timings, leg);
    if (h) co_return std::move(*h);
  }
  std::string head = request_head(o.method, url, o.headers, strip_credentials, o.body.size(), service);
  // An http target behind a proxy: the proxy gets the request, in absolute form.
  if (const ProxyServer* proxy = url.https() ? nullptr : routes.for_target(url)) head = via_proxy(head, url, *proxy);
  const bool head_method = o.method == "HEAD";

  for (int attempt = 0;; ++attempt) {
    auto conn = attempt == 0 ? std::move(first) : nullptr;
    const bool reused = attempt == 0 && pooled;
    if (reused) stats.connection_reused();
    if (!conn) {
      Hop h = co_await connect(url, deadline, conn, timings);
      if (h.error) co_return h;
    }
    bool keep_alive = false;
    Hop h;  // (no co_await inside ?: — GCC 12 mis-compiles that)
    if (conn->tls) {
      h = co_await round_trip(*conn->tls, *conn, head, head_method, o, deadline, keep_alive, timings, leg);
    } else {
      h = co_await round_trip(*conn->plain, *conn, head, head_method, o, deadline, keep_alive, timings, leg);
    }
    if (reused && h.error && h.status == 0 && *h.error != FetchError::timeout && *h.error != FetchError::cancelled) {
      continue;  // stale keep-alive connection: once more on a fresh one
    }
    if (keep_alive && !h.error) pool.put(std::move(conn));
    co_return h;
  }
}

namespace {

// Whether hop `h` of a try leads to another: then `url` (and `changed`, the
// options when a redirect turns the method into GET) are the next hop's;
// otherwise `h` is the try's outcome (a failure when the redirect cannot be
// followed). Apart from one_try so that its temporaries stay out of the frame
// of every try.
bool follow_redirect(Hop& h, Url& url, unsigned redirects, unsigned max_redirects, const FetchOptions& base,
                     std::unique_ptr<FetchOptions>& changed) {
  if (h.error || !is_redirect(h.status) || !h.rare || h.rare->location.empty()) return false;
  if (redirects >= max_redirects) {
    h.error = FetchError::protocol_error;
    h.more().detail = "more than " + std::to_string(max_redirects) + " redirects";
    return false;
  }
  auto next = resolve_redirect(url, h.rare->location);
  if (!next) {
    h.error = FetchError::protocol_error;
    h.more().detail = "bad redirect location";
    return false;
  }
  const FetchOptions& o = changed ? *changed : base;
  if (redirect_turns_into_get(h.status, o.method)) {
    if (!changed) changed = std::make_unique<FetchOptions>(base);
    changed->method = "GET";
    changed->body = {};
  }
  next->credentials = std::move(url.credentials);
  url = std::move(*next);
  return true;
}

}  // namespace

// One try: the request and the redirects it leads to. The URL's credentials
// go with every hop (request_head leaves them out when the hop leaves the
// first origin), a redirect target never brings its own.
runtime::Task<Hop> Fetcher::Impl::one_try(Url url, const FetchOptions& base, Clock::time_point deadline,
                                          TryTimings* timings, const HedgeLeg* leg) {
  // The options are copied only when a redirect turns the method into GET;
  // the origin is built once per hop (the pool's key).
  std::unique_ptr<FetchOptions> changed;
  const std::string first_origin = url.origin();
  std::string origin = first_origin;
  for (unsigned redirects = 0;; ++redirects) {
    Hop h = co_await exchange(url, origin, changed ? *changed : base, origin != first_origin, deadline, timings, leg);
    if (!follow_redirect(h, url, redirects, config.max_redirects, base, changed)) co_return h;
    origin = url.origin();
  }
}

// A leg of a hedged try: the hedge (leg 1) starts only when leg 0 has no head
// after hedge_after. A leg that lost, or ended without a head while the other
// may still answer, gives way: the race over the legs ends with the other.
runtime::Task<Hop> Fetcher::Impl::hedge_leg(const Url& url, const FetchOptions& o, Clock::time_point deadline,
                                            TryTimings* timings, HedgeGate& gate, unsigned index) {
  if (index == 1) {
    auto waited = co_await runtime::race(gate.decided.wait(), runtime::sleep(*o.hedge_after));
    if (waited.index() == 0 || !gate.start_hedge()) co_await give_way();
  }
  const HedgeLeg leg{&gate, index};
  auto r = co_await runtime::race(one_try(url, o, deadline, timings, &leg), lost(gate, index));
  if (r.index() == 1) co_await give_way();  // the other's head came first: this try was cancelled
  Hop h = std::move(std::get<0>(r));
  if (h.status == 0 && !gate.ended_without_head(index)) co_await give_way();
  co_return h;
}

// A try with hedge_after: the first response head of two legs wins, the
// other is cancelled (its connection closed with it). `timings` ends up the
// winner's; `hedged` tells whether the second leg started.
runtime::Task<Hop> Fetcher::Impl::hedged_try(const Url& url, const FetchOptions& o, Clock::time_point deadline,
                                             std::unique_ptr<TryTimings>& timings, bool& hedged) {
  HedgeGate gate;
  auto second = timings ? std::make_unique<TryTimings>(timings->started()) : nullptr;
  std::vector<runtime::Task<Hop>> legs;
  legs.push_back(hedge_leg(url, o, deadline, timings.get(), gate, 0));
  legs.push_back(hedge_leg(url, o, deadline, second.get(), gate, 1));
  auto [winner, h] = co_await runtime::race(std::move(legs));
  hedged = gate.hedged();
  if (winner == 1) timings = std::move(second);
  co_return std::move(h);
}

Fetcher::Fetcher(const Config& config, EgressPolicy policy, Stats& stats)
    : impl_(std::make_unique<Impl>(config, std::move(policy), stats)) {}
Fetcher::~Fetcher() = default;

void Fetcher::close_idle() {
  impl_->pool.clear();
  if (impl_->h2) impl_->h2->close_idle();
}

runtime::Task<void> Fetcher::fetch(std::string url_text, const FetchOptions& o, FetchResult& r) {
  const auto start = Clock::now();
  const auto deadline = start + o.timeout;
  auto finish = [&] {
    r.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    r.ok = !r.error && r.status && *r.status < 400;
  };

  auto url = parse_url(url_text);
  r.url = std::move(url_text);
  mask_credentials(r.url);
  if (!url) {
    r.error = FetchError::invalid_url;
    r.detail = "not an absolute http(s) URL";
    finish();
    co_return;
  }

  // Made per try, and only when asked for: most fetches keep no timings.
  std::unique_ptr<TryTimings> timings;
  try {
    for (unsigned tries = 1;; ++tries) {
      ++r.attempts;
      if (o.include_timings) timings = std::make_unique<TryTimings>(Clock::now());
      const auto try_end = try_deadline(Clock::now(), deadline, o.try_timeout);
      Hop h;  // (no co_await inside ?: — GCC 12 mis-compiles that)
      if (o.hedge_after) {
        bool hedged = false;
        h = co_await impl_->hedged_try(*url, o, try_end, timings, hedged);
        if (hedged) {
          r.hedged = true;
          ++r.attempts;  // the hedge is a try too
        }
      } else {
        h = co_await impl_->one_try(*url, o, try_end, timings.get());
      }

      r.error = h.error;
      r.detail = h.rare ? h.rare->detail : std::string();
      r.status = h.status ? std::optional<int>(h.status) : std::nullopt;
      r.http_version = h.version;
      r.bytes = h.bytes;
      r.wire_bytes = h.rare && h.rare->wire_bytes ? *h.rare->wire_bytes : h.bytes;
      r.content_encoding = h.rare ? std::move(h.rare->content_encoding) : std::string();
      r.truncated = h.truncated;
      if (o.include_body) r.body = h.rare ? std::move(h.rare->body) : std::string();
      if (o.include_headers) r.headers = h.rare ? std::move(h.rare->headers) : std::nullopt;
      if (timings) {
        r.timings = timings->finish(Clock::now());
        timings.reset();
      }

      if (!retryable(h.error, h.status) || tries > o.retries) break;
      const auto now = Clock::now();
      if (now >= deadline) break;
      const auto pause = backoff(tries, h.rare ? h.rare->retry_after : std::nullopt);
      if (now + pause >= deadline) break;
      co_await runtime::sleep(pause);
    }
  } catch (const std::exception& e) {
    if (!runtime::is_cancellation(e)) throw;
    r.error = FetchError::cancelled;
    r.detail = "cancelled";
    if (timings) r.timings = timings->finish(Clock::now());  // the try it cut short
  }
  finish();
}

}  // namespace asyncfetch
