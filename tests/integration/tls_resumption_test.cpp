// TLS session resumption, counted on /metrics: fresh connections to an origin
// (the upstream closes each one) resume the session of the one before, over
// HTTP/1.1 and HTTP/2 (a new connection after GOAWAY); another origin, even
// on the same server, shakes hands in full first; a name the certificate
// does not cover still fails verification. The upstream is Go's net/http
// (TLS 1.3, a ticket sent on every connection), counting connections.
// Fetches run one after another, so that each connection's ticket has
// arrived (before its response) when the next one dials; connections opened
// together all resume the one session there is.
#include <catch2/catch.hpp>

#include <string>

#include "client.hpp"
#include "h2_upstreams.hpp"
#include "service_process.hpp"
#include "tls_certs.hpp"
#include "upstream.hpp"

using namespace it;

namespace {

const std::string full = "asyncfetch_tls_handshakes_total{resumed=\"false\"}";
const std::string resumed = "asyncfetch_tls_handshakes_total{resumed=\"true\"}";

long metric(const Service& svc, const std::string& series) {
  const std::string body = get(svc.port(), "/metrics").body;
  const auto at = body.find("\n" + series + " ");
  if (at == std::string::npos) {
    FAIL_CHECK("no " + series + " in /metrics:\n" + body);
    return -1;
  }
  return std::stol(body.substr(at + series.size() + 2));
}

// `n` fetches of `url` (each URL made distinct), one at a time; how many were ok.
int fetch_in_turn(const Service& svc, const std::string& url, int n) {
  Json urls = Json::array();
  const char* sep = url.find('?') == std::string::npos ? "?i=" : "&i=";
  for (int i = 0; i < n; ++i) urls.push_back(url + sep + std::to_string(i));
  auto res = fetch(svc.port(), {{"urls", urls}, {"concurrency", 1}});
  for (const auto& r : res["results"])
    if (r["ok"] != true) UNSCOPED_INFO("failed: " << r.dump());
  return res["summary"]["succeeded"].get<int>();
}

}  // namespace

TEST_CASE("TLS resumption: each new connection to an origin resumes, another origin starts in full",
          "[tls][resumption]") {
  GoUpstream up(test_pki().server, /*http1_only=*/true);
  GoUpstream other(test_pki().server, /*http1_only=*/true);
  Service svc(trusting_test_ca());
  CHECK(metric(svc, full) == 0);
  CHECK(metric(svc, resumed) == 0);

  // /goaway answers with Connection: close: every fetch is a new connection.
  REQUIRE(fetch_in_turn(svc, up.url("/goaway"), 6) == 6);
  CHECK(up.stats()["connections"] == 6);
  CHECK(metric(svc, full) == 1);
  CHECK(metric(svc, resumed) == 5);

  // The same server by name: another origin, whose first handshake is full.
  REQUIRE(fetch_in_turn(svc, up.url("/goaway", "localhost"), 3) == 3);
  CHECK(up.stats()["connections"] == 9);
  CHECK(metric(svc, full) == 2);
  CHECK(metric(svc, resumed) == 7);

  // Another port: the same.
  REQUIRE(fetch_in_turn(svc, other.url("/goaway"), 3) == 3);
  CHECK(metric(svc, full) == 3);
  CHECK(metric(svc, resumed) == 9);

  // And the first origin still has its session.
  REQUIRE(fetch_in_turn(svc, up.url("/goaway"), 1) == 1);
  CHECK(metric(svc, full) == 3);
  CHECK(metric(svc, resumed) == 10);
  CHECK(svc.stop() == 0);
}

TEST_CASE("TLS resumption: connections opened together all resume the origin's session", "[tls][resumption]") {
  GoUpstream up(test_pki().server, /*http1_only=*/true);
  Service svc(trusting_test_ca());
  REQUIRE(fetch_in_turn(svc, up.url("/goaway"), 1) == 1);
  CHECK(metric(svc, full) == 1);
  // 16 at once, each on a new connection: none has a ticket of its own back
  // yet, so all are offered the one the first connection left.
  Json urls = Json::array();
  for (int i = 0; i < 16; ++i) urls.push_back(up.url("/goaway?at_once=" + std::to_string(i)));
  auto res = fetch(svc.port(), {{"urls", urls}, {"concurrency", 16}});
  CHECK(res["summary"]["succeeded"] == 16);
  CHECK(up.stats()["connections"] == 17);
  CHECK(metric(svc, full) == 1);
  CHECK(metric(svc, resumed) == 16);
  CHECK(svc.stop() == 0);
}

TEST_CASE("TLS resumption: a session is never offered to a name it was not verified for", "[tls][resumption]") {
  GoUpstream up(test_pki().server, /*http1_only=*/true);
  // other.test is the same server, whose certificate names 127.0.0.1 and localhost only.
  Service svc(trusting_test_ca({R"(--resolve={"other.test":["127.0.0.1"]})"}));
  REQUIRE(fetch_in_turn(svc, up.url("/goaway"), 2) == 2);
  REQUIRE(fetch_in_turn(svc, up.url("/goaway", "localhost"), 2) == 2);
  CHECK(metric(svc, full) == 2);
  CHECK(metric(svc, resumed) == 2);

  const std::string wrong = "https://other.test:" + std::to_string(up.port()) + "/goaway";
  for (int i = 0; i < 2; ++i) {
    auto r = fetch(svc.port(), {{"urls", {wrong}}})["results"][0];
    CHECK(r["error"] == "tls_failed");
  }
  CHECK(metric(svc, full) == 2);  // failed handshakes count as neither
  CHECK(metric(svc, resumed) == 2);
  // The failures took nothing from the others.
  REQUIRE(fetch_in_turn(svc, up.url("/goaway"), 1) == 1);
  REQUIRE(fetch_in_turn(svc, up.url("/goaway", "localhost"), 1) == 1);
  CHECK(metric(svc, full) == 2);
  CHECK(metric(svc, resumed) == 4);
  CHECK(svc.stop() == 0);
}

TEST_CASE("TLS resumption: over HTTP/2, the connection after a GOAWAY resumes", "[tls][resumption][http2]") {
  GoUpstream up(test_pki().server);
  Service svc(trusting_test_ca());
  for (int i = 0; i < 3; ++i) {
    // "bye", then GOAWAY: the next fetch needs a new connection.
    auto r = fetch(svc.port(), {{"urls", {up.url("/goaway?i=" + std::to_string(i))}}, {"include_body", true}});
    CHECK(r["results"][0]["ok"] == true);
    CHECK(r["results"][0]["http_version"] == "2");
    CHECK(r["results"][0]["body"] == "bye");
  }
  CHECK(up.stats()["connections"] == 3);
  CHECK(up.stats()["h2_requests"] == 3);
  CHECK(metric(svc, full) == 1);
  CHECK(metric(svc, resumed) == 2);
  CHECK(svc.stop() == 0);
}

TEST_CASE("TLS resumption: an OpenSSL server's tickets are used one per connection", "[tls][resumption]") {
  // cpp-httplib on OpenSSL: two tickets after a full handshake, one after a
  // resumed one. No idle connection is kept, so every fetch dials.
  Upstream up(test_pki().server);
  Service svc(trusting_test_ca({"--pool_max_idle_per_host=0"}));
  REQUIRE(fetch_in_turn(svc, up.url("/bytes?n=3"), 5) == 5);
  CHECK(up.requests() == 5);
  CHECK(metric(svc, full) == 1);
  CHECK(metric(svc, resumed) == 4);
  CHECK(svc.stop() == 0);
}
