// TLS session resumption on the client side: the sessions servers gave us,
// kept per origin ("https://host:port", Url::origin()) and offered to the next
// connection to that same origin, so that it resumes (TLS 1.3 tickets, TLS 1.2
// session ids or tickets) instead of paying a full handshake.
//
// A session is only ever offered to the origin it came from: the same host
// name, so the same SNI and the same certificate verification (the fetcher's
// one trust store, the host name checked) that the full handshake passed.
// Only handshakes that succeeded store anything.
//
// Bounded: at most max_origins origins (the least recently used one is
// evicted, its sessions freed) and, per origin, max_per_origin TLS 1.3 tickets
// (newest first) or the one newest session of an earlier version. A TLS 1.3
// ticket is taken out when it is offered while the origin has another:
// RFC 8446 C.4 asks clients not to reuse one for several connections (the
// server sends a fresh one on every connection, resumed or not). The last one
// stays and is offered again: a fan-out opens its connections together, far
// faster than tickets come back, and with single use only one in a few would
// resume (as Go's and curl's caches do, the ticket is reused then; a server
// that refuses a reused ticket costs a full handshake, as no ticket would).
// A TLS 1.2 session stays and is offered again.
// The cache holds copies of the sessions OpenSSL hands over and hands out
// copies of a TLS 1.2 one: OpenSSL marks an SSL's own session not resumable
// when the SSL is freed without having sent a close_notify, which is how
// most upstream connections end.
//
// Thread-safe (one mutex; the work per handshake is a lookup and a list
// move): the loop threads of one Fetcher share it.
//
// OpenSSL stays in the .cpp; this header names its types only.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

struct ssl_st;
struct ssl_ctx_st;
struct ssl_session_st;

namespace asyncfetch {

class TlsSessionCache {
 public:
  static constexpr std::size_t default_max_origins = 1024;
  static constexpr std::size_t default_max_per_origin = 4;

  explicit TlsSessionCache(std::size_t max_origins = default_max_origins,
                           std::size_t max_per_origin = default_max_per_origin);
  ~TlsSessionCache();  // frees every session it holds
  TlsSessionCache(const TlsSessionCache&) = delete;
  TlsSessionCache& operator=(const TlsSessionCache&) = delete;

  // Keeps `session` (it takes the caller's reference, and frees it when it
  // does not keep it: not resumable, or expired) as the newest of `origin`.
  void put(const std::string& origin, ssl_session_st* session);
  // The newest unexpired session of `origin`, the caller's to free
  // (SSL_SESSION_free), or nullptr. A TLS 1.3 ticket leaves the cache unless
  // it is the origin's last; the last one, and an earlier version's session,
  // stay, and the caller gets a copy.
  ssl_session_st* take(const std::string& origin);

  std::size_t origins() const;
  std::size_t sessions(const std::string& origin) const;

 private:
  struct Entry {
    std::string origin;
    std::vector<ssl_session_st*> sessions;  // newest first
  };
  using Lru = std::list<Entry>;  // most recently used first

  void evict_over_bound();  // with mu_ held

  const std::size_t max_origins_;
  const std::size_t max_per_origin_;
  mutable std::mutex mu_;
  Lru lru_;
  std::unordered_map<std::string, Lru::iterator> index_;
};

// The OpenSSL side, for the fetcher.
//
// Once per SSL_CTX: client session caching with no internal store, the
// sessions a connection receives handed to the TlsSessionCache its SSL was
// given by offer_session().
void capture_sessions(ssl_ctx_st* ctx);
// Before the handshake of a connection to `origin` (SNI and host name
// verification already set for its host): ties the SSL to `cache` and
// `origin`, and offers the cache's session for the origin, if it has one.
void offer_session(ssl_st* ssl, std::shared_ptr<TlsSessionCache> cache, std::string origin);
// After the handshake succeeded: the sessions it received so far go into
// the cache, and later ones (TLS 1.3 tickets arrive after the handshake) as
// they come. Without this call (a failed or cancelled handshake) the SSL
// stores nothing.
void handshake_succeeded(ssl_st* ssl);

}  // namespace asyncfetch
