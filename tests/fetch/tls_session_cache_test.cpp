// The client's TLS session cache, on sessions made here (no handshakes): what
// it keeps per origin and for how long, what it offers and takes out, its
// bounds, and that every session it lets go is freed (sessions counted by
// ex_data callbacks as they are made, copied and freed).
#include <catch2/catch.hpp>

#include <openssl/opensslv.h>
#include <openssl/ssl.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "tls_session_cache.hpp"

using asyncfetch::TlsSessionCache;

namespace {

void set_made_at(SSL_SESSION* s, std::time_t t) {
#if OPENSSL_VERSION_NUMBER >= 0x30300000L
  SSL_SESSION_set_time_ex(s, t);
#else
  SSL_SESSION_set_time(s, static_cast<long>(t));
#endif
}

// Sessions alive: made (new or copied) and not yet freed.
std::atomic<int> alive{0};
void count_new(void*, void*, CRYPTO_EX_DATA*, int, long, void*) { ++alive; }
void count_free(void*, void*, CRYPTO_EX_DATA*, int, long, void*) { --alive; }
int free_counter() {
  static const int index = SSL_SESSION_get_ex_new_index(0, nullptr, count_new, nullptr, count_free);
  return index;
}

// A resumable session of `version` with id `id`, made `age_s` seconds ago and
// valid for `timeout_s`. (No Catch macros: threads make them too.)
SSL_SESSION* session(int id, int version = TLS1_3_VERSION, long age_s = 0, long timeout_s = 7200) {
  free_counter();
  SSL_SESSION* s = SSL_SESSION_new();
  const unsigned char bytes[4] = {static_cast<unsigned char>(id), static_cast<unsigned char>(id >> 8), 0xAB, 0xCD};
  if (!s || SSL_SESSION_set1_id(s, bytes, sizeof bytes) != 1 || SSL_SESSION_set_protocol_version(s, version) != 1)
    std::abort();
  set_made_at(s, std::time(nullptr) - age_s);
  SSL_SESSION_set_timeout(s, timeout_s);
  return s;
}

int id_of(SSL_SESSION* s) {
  unsigned int len = 0;
  const unsigned char* bytes = SSL_SESSION_get_id(s, &len);
  REQUIRE(len == 4);
  return bytes[0] | bytes[1] << 8;
}

// Takes a session of `origin` and tells its id (-1: none), freeing it.
int take_id(TlsSessionCache& cache, const std::string& origin) {
  SSL_SESSION* s = cache.take(origin);
  if (!s) return -1;
  const int id = id_of(s);
  SSL_SESSION_free(s);
  return id;
}

const std::string a = "https://a.test:443";
const std::string b = "https://b.test:443";

}  // namespace

TEST_CASE("TLS sessions: nothing to offer to an origin never seen", "[tls_sessions]") {
  TlsSessionCache cache;
  CHECK(cache.take(a) == nullptr);
  CHECK(cache.origins() == 0);
}

TEST_CASE("TLS sessions: a TLS 1.3 ticket is offered once while others remain, the newest first", "[tls_sessions]") {
  free_counter();
  alive = 0;
  {
    TlsSessionCache cache;
    cache.put(a, session(1));
    cache.put(a, session(2));
    CHECK(cache.sessions(a) == 2);
    CHECK(take_id(cache, a) == 2);  // taken out: ticket 1 remains
    CHECK(cache.sessions(a) == 1);
    CHECK(alive == 1);
  }
  CHECK(alive == 0);
}

TEST_CASE("TLS sessions: an origin's last TLS 1.3 ticket is offered to every connection until a newer one comes",
          "[tls_sessions]") {
  free_counter();
  alive = 0;
  {
    TlsSessionCache cache;
    cache.put(a, session(1));
    // Connections opened together, before any of them has a ticket back: all
    // are offered the one there is (copies; the cache keeps its own).
    for (int i = 0; i < 5; ++i) CHECK(take_id(cache, a) == 1);
    CHECK(cache.sessions(a) == 1);
    CHECK(alive == 1);
    // The tickets those connections bring back are used once each, newest
    // first, down to the last again.
    cache.put(a, session(2));
    cache.put(a, session(3));
    CHECK(take_id(cache, a) == 3);
    CHECK(take_id(cache, a) == 2);
    CHECK(take_id(cache, a) == 1);
    CHECK(take_id(cache, a) == 1);
    CHECK(cache.sessions(a) == 1);
  }
  CHECK(alive == 0);
}

TEST_CASE("TLS sessions: tickets per origin are bounded, the oldest freed", "[tls_sessions]") {
  free_counter();
  alive = 0;
  {
    TlsSessionCache cache(16, 3);
    for (int i = 1; i <= 5; ++i) cache.put(a, session(i));
    CHECK(cache.sessions(a) == 3);
    CHECK(alive == 3);  // tickets 1 and 2 freed
    CHECK(take_id(cache, a) == 5);
    CHECK(take_id(cache, a) == 4);
    CHECK(take_id(cache, a) == 3);  // the last: offered, and kept
    CHECK(cache.sessions(a) == 1);
  }
  CHECK(alive == 0);
}

TEST_CASE("TLS sessions: a TLS 1.2 session stays to be offered again, a newer one replaces it", "[tls_sessions]") {
  free_counter();
  alive = 0;
  {
    TlsSessionCache cache;
    cache.put(a, session(1, TLS1_2_VERSION));
    CHECK(take_id(cache, a) == 1);  // a copy: the cache's own never goes into an SSL
    CHECK(take_id(cache, a) == 1);
    CHECK(cache.sessions(a) == 1);
    CHECK(alive == 1);
    cache.put(a, session(2, TLS1_2_VERSION));
    CHECK(alive == 1);  // the older one freed
    CHECK(cache.sessions(a) == 1);
    CHECK(take_id(cache, a) == 2);
    // A TLS 1.3 ticket replaces it too (the server moved on), and a TLS 1.2
    // session replaces tickets.
    cache.put(a, session(3));
    CHECK(cache.sessions(a) == 1);
    CHECK(alive == 1);
    cache.put(a, session(4));
    CHECK(alive == 2);
    cache.put(a, session(5, TLS1_2_VERSION));
    CHECK(cache.sessions(a) == 1);
    CHECK(alive == 1);
    CHECK(take_id(cache, a) == 5);
  }
  CHECK(alive == 0);
}

TEST_CASE("TLS sessions: origins are isolated", "[tls_sessions]") {
  TlsSessionCache cache;
  cache.put(a, session(1));
  cache.put(b, session(2));
  cache.put("https://a.test:8443", session(3));
  cache.put("https://127.0.0.1:443", session(4));
  CHECK(cache.origins() == 4);
  CHECK(take_id(cache, b) == 2);
  CHECK(take_id(cache, b) == 2);  // its own last ticket again, never another origin's
  CHECK(take_id(cache, a) == 1);
  CHECK(take_id(cache, "https://a.test:8443") == 3);
  CHECK(take_id(cache, "https://localhost:443") == -1);
  CHECK(take_id(cache, "https://127.0.0.1:443") == 4);
}

TEST_CASE("TLS sessions: the least recently used origin is evicted past the bound, its sessions freed",
          "[tls_sessions]") {
  free_counter();
  alive = 0;
  {
    TlsSessionCache cache(3, 4);
    cache.put("o1", session(1, TLS1_2_VERSION));
    cache.put("o2", session(2));
    cache.put("o3", session(3));
    CHECK(take_id(cache, "o1") == 1);  // o1 used (and kept: TLS 1.2): o2 is now the least recent
    cache.put("o4", session(4));
    CHECK(cache.origins() == 3);
    CHECK(cache.sessions("o2") == 0);
    CHECK(alive == 3);  // o2's ticket freed
    CHECK(take_id(cache, "o2") == -1);
    CHECK(take_id(cache, "o1") == 1);
    CHECK(take_id(cache, "o3") == 3);
    CHECK(take_id(cache, "o4") == 4);
    CHECK(cache.origins() == 3);
    CHECK(alive == 3);  // each origin's last session stays (copies were handed out)
  }
  CHECK(alive == 0);  // the cache's own sessions, at its end
}

TEST_CASE("TLS sessions: many origins stay within the bound", "[tls_sessions]") {
  free_counter();
  alive = 0;
  {
    TlsSessionCache cache;
    for (int i = 0; i < 3000; ++i) cache.put("https://h" + std::to_string(i) + ".test:443", session(i));
    CHECK(cache.origins() == TlsSessionCache::default_max_origins);
    CHECK(alive == static_cast<int>(TlsSessionCache::default_max_origins));
    CHECK(take_id(cache, "https://h0.test:443") == -1);
    CHECK(take_id(cache, "https://h2999.test:443") == 2999);
  }
  CHECK(alive == 0);
}

TEST_CASE("TLS sessions: expired ones are neither kept nor offered", "[tls_sessions]") {
  free_counter();
  alive = 0;
  {
    TlsSessionCache cache;
    cache.put(a, session(1, TLS1_3_VERSION, /*age_s=*/100, /*timeout_s=*/10));
    CHECK(alive == 0);
    CHECK(cache.origins() == 0);
    SSL_SESSION* kept = session(2, TLS1_3_VERSION, /*age_s=*/0, /*timeout_s=*/60);
    SSL_SESSION_up_ref(kept);  // a reference of the test's own to the session the cache keeps
    cache.put(a, kept);
    CHECK(cache.sessions(a) == 1);
    // A copy that has expired is refused.
    SSL_SESSION* copy = cache.take(a);
    REQUIRE(copy);
    set_made_at(copy, std::time(nullptr) - 100);
    cache.put(a, copy);
    CHECK(cache.sessions(a) == 1);
    CHECK(alive == 1);
    // One that expires while cached: its time moved back, as the clock would
    // move on. It is not offered, and it is dropped.
    set_made_at(kept, std::time(nullptr) - 100);
    CHECK(cache.take(a) == nullptr);
    CHECK(cache.origins() == 0);
    SSL_SESSION_free(kept);
    CHECK(alive == 0);
    // A session not resumable (no id, no ticket) is not kept.
    cache.put(a, SSL_SESSION_new());
    CHECK(cache.origins() == 0);
    CHECK(alive == 0);
  }
}

TEST_CASE("TLS sessions: put and take from several threads", "[tls_sessions]") {
  free_counter();
  alive = 0;
  {
    TlsSessionCache cache(8, 4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&cache, t] {
        for (int i = 0; i < 500; ++i) {
          const std::string origin = "o" + std::to_string((i + t) % 12);
          cache.put(origin, session(t * 1000 + i, i % 3 ? TLS1_3_VERSION : TLS1_2_VERSION));
          if (SSL_SESSION* s = cache.take("o" + std::to_string(i % 12))) SSL_SESSION_free(s);
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK(cache.origins() <= 8);
  }
  CHECK(alive == 0);
}
