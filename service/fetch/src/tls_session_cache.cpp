#include "tls_session_cache.hpp"

#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <ctime>
#include <utility>

namespace asyncfetch {

namespace {

std::time_t made_at(const SSL_SESSION* s) noexcept {
#if OPENSSL_VERSION_NUMBER >= 0x30300000L
  return SSL_SESSION_get_time_ex(s);  // SSL_SESSION_get_time is deprecated from 3.4 on
#else
  return SSL_SESSION_get_time(s);
#endif
}

bool expired(const SSL_SESSION* s, std::time_t now) noexcept {
  return made_at(s) + SSL_SESSION_get_timeout(s) <= now;
}

bool is_tls13(const SSL_SESSION* s) noexcept { return SSL_SESSION_get_protocol_version(s) >= TLS1_3_VERSION; }

}  // namespace

TlsSessionCache::TlsSessionCache(std::size_t max_origins, std::size_t max_per_origin)
    : max_origins_(std::max<std::size_t>(1, max_origins)), max_per_origin_(std::max<std::size_t>(1, max_per_origin)) {}

TlsSessionCache::~TlsSessionCache() {
  for (auto& e : lru_)
    for (auto* s : e.sessions) SSL_SESSION_free(s);
}

void TlsSessionCache::put(const std::string& origin, SSL_SESSION* session) {
  if (!session) return;
  const std::time_t now = std::time(nullptr);
  if (!SSL_SESSION_is_resumable(session) || expired(session, now)) {
    SSL_SESSION_free(session);
    return;
  }
  std::lock_guard lock(mu_);
  auto it = index_.find(origin);
  if (it == index_.end()) {
    lru_.push_front(Entry{origin, {}});
    index_.emplace(origin, lru_.begin());
  } else {
    lru_.splice(lru_.begin(), lru_, it->second);
  }
  auto& sessions = lru_.front().sessions;
  if (!is_tls13(session)) {
    // An earlier version's session is reused as it is: the newest replaces all.
    for (auto* s : sessions) SSL_SESSION_free(s);
    sessions.assign(1, session);
  } else {
    // Tickets add up (a server may send several), expired ones and any
    // session of an earlier version dropped, the oldest beyond the bound too.
    std::erase_if(sessions, [now](SSL_SESSION* s) {
      const bool drop = !is_tls13(s) || expired(s, now);
      if (drop) SSL_SESSION_free(s);
      return drop;
    });
    sessions.insert(sessions.begin(), session);
    while (sessions.size() > max_per_origin_) {
      SSL_SESSION_free(sessions.back());
      sessions.pop_back();
    }
  }
  evict_over_bound();
}

SSL_SESSION* TlsSessionCache::take(const std::string& origin) {
  const std::time_t now = std::time(nullptr);
  std::lock_guard lock(mu_);
  auto it = index_.find(origin);
  if (it == index_.end()) return nullptr;
  auto entry = it->second;
  lru_.splice(lru_.begin(), lru_, entry);
  auto& sessions = entry->sessions;
  std::erase_if(sessions, [now](SSL_SESSION* s) {
    const bool drop = expired(s, now);
    if (drop) SSL_SESSION_free(s);
    return drop;
  });
  SSL_SESSION* s = nullptr;
  if (!sessions.empty()) {
    s = sessions.front();
    if (is_tls13(s) && sessions.size() > 1) {
      sessions.erase(sessions.begin());  // a ticket is used once while others remain
    } else {
      // A copy: the cache's own never goes into an SSL, which marks its
      // session not resumable when it ends without a close_notify. The last
      // TLS 1.3 ticket stays too, so that connections opened together all
      // resume rather than all but one paying a full handshake.
      s = SSL_SESSION_dup(s);
    }
  }
  if (sessions.empty()) {
    lru_.erase(entry);
    index_.erase(it);
  }
  return s;
}

std::size_t TlsSessionCache::origins() const {
  std::lock_guard lock(mu_);
  return index_.size();
}

std::size_t TlsSessionCache::sessions(const std::string& origin) const {
  std::lock_guard lock(mu_);
  auto it = index_.find(origin);
  return it == index_.end() ? 0 : it->second->sessions.size();
}

void TlsSessionCache::evict_over_bound() {
  while (index_.size() > max_origins_) {
    auto& last = lru_.back();
    for (auto* s : last.sessions) SSL_SESSION_free(s);
    index_.erase(last.origin);
    lru_.pop_back();
  }
}

namespace {

// What an SSL of the fetcher knows for its sessions, in its ex_data (Asio
// keeps its verify callback in the app data), freed with the SSL.
struct Slot {
  std::shared_ptr<TlsSessionCache> cache;
  std::string origin;
  bool succeeded = false;
  std::vector<SSL_SESSION*> pending;  // received during the handshake (TLS 1.2), oldest first

  ~Slot() {
    for (auto* s : pending) SSL_SESSION_free(s);
  }
};

void free_slot(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<Slot*>(ptr); }

int slot_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_slot);
  return index;
}

Slot* slot_of(SSL* ssl) { return static_cast<Slot*>(SSL_get_ex_data(ssl, slot_index())); }

// OpenSSL's new-session callback. What is kept is a copy: the session
// itself stays the SSL's, and an SSL freed without a close_notify sent (as
// connections the server closes are) marks its session not resumable.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  Slot* slot = slot_of(ssl);
  if (!slot) return 0;
  SSL_SESSION* copy = SSL_SESSION_dup(session);
  if (!copy) return 0;
  if (slot->succeeded) {
    slot->cache->put(slot->origin, copy);
  } else {
    slot->pending.push_back(copy);
  }
  return 0;  // OpenSSL drops the reference it gave us
}

}  // namespace

void capture_sessions(SSL_CTX* ctx) {
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, on_new_session);
}

void offer_session(SSL* ssl, std::shared_ptr<TlsSessionCache> cache, std::string origin) {
  SSL_SESSION* session = cache->take(origin);
  auto slot = std::make_unique<Slot>();
  slot->cache = std::move(cache);
  slot->origin = std::move(origin);
  Slot* before = slot_of(ssl);
  if (!SSL_set_ex_data(ssl, slot_index(), slot.get())) {
    SSL_SESSION_free(session);
    return;  // no slot of its own: this connection neither offers nor stores
  }
  slot.release();
  delete before;
  if (session) {
    SSL_set_session(ssl, session);  // takes a reference of its own; a refusal is a full handshake
    SSL_SESSION_free(session);
  }
}

void handshake_succeeded(SSL* ssl) {
  Slot* slot = slot_of(ssl);
  if (!slot) return;
  // Verified (the fetcher verifies the peer, so a handshake that succeeded
  // was): said here too, as the condition for keeping its sessions.
  if (SSL_get_verify_result(ssl) != X509_V_OK) return;
  slot->succeeded = true;
  auto pending = std::move(slot->pending);
  slot->pending.clear();
  for (auto* s : pending) slot->cache->put(slot->origin, s);
}

}  // namespace asyncfetch
