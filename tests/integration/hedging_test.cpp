// Hedged tries (hedge_after_ms) on the real binary: a try with no response
// head after that long gets a second one; the first head wins and the other
// try is cancelled, its connection closed, as the upstream sees.
#include <catch2/catch.hpp>

#include <string>

#include "client.hpp"
#include "h2_upstreams.hpp"
#include "service_process.hpp"
#include "tls_certs.hpp"
#include "upstream.hpp"

using namespace it;

namespace {

// One URL whose first request hangs for 10 s, hedged after 200 ms: the hedge
// must have won.
Json hedged_hang_first(int port, const std::string& url) {
  auto res = fetch(port, {{"urls", {url}}, {"hedge_after_ms", 200}, {"include_body", true}, {"timeout_ms", 8000}});
  Json r = res["results"][0];
  CHECK(r["ok"] == true);
  CHECK(r["hedged"] == true);
  CHECK(r["attempts"] == 2);
  return r;
}

}  // namespace

TEST_CASE("hedging: a first try that hangs is overtaken by the hedge, over HTTP/1.1", "[hedging]") {
  Upstream up;
  Service svc;
  const Json r = hedged_hang_first(svc.port(), up.url("/hang-first?key=h1&ms=10000"));
  CHECK(r["body"] == "ok");
  CHECK(r["elapsed_ms"].get<double>() >= 190);
  CHECK(r["elapsed_ms"].get<double>() < 5000);  // the hung try would take 10 s
  CHECK(up.requests() == 2);
  CHECK(svc.stop() == 0);
}

TEST_CASE("hedging: the losing try's connection is closed (seen at the upstream)", "[hedging]") {
  GoUpstream up(test_pki().server, /*http1_only=*/true);
  Service svc(trusting_test_ca());
  const Json r = hedged_hang_first(svc.port(), up.url("/hang-first?key=tls&ms=10000"));
  CHECK(r["body"] == "fast");
  CHECK(r["http_version"] == "1.1");
  // The hung request's client went away when the hedge's head came.
  CHECK(eventually([&] { return up.stats()["cancelled"] == 1; }, std::chrono::seconds(3)));
  const auto s = up.stats();
  CHECK(s["connections"] == 2);  // the hedge went on a connection of its own
  CHECK(s["h1_requests"] == 2);
  CHECK(svc.stop() == 0);
}

TEST_CASE("hedging: over HTTP/2 the losing stream is reset, the connection kept", "[hedging][http2]") {
  GoUpstream up(test_pki().server);
  Service svc(trusting_test_ca());
  const Json r = hedged_hang_first(svc.port(), up.url("/hang-first?key=h2&ms=10000"));
  CHECK(r["body"] == "fast");
  CHECK(r["http_version"] == "2");
  CHECK(eventually([&] { return up.stats()["cancelled"] == 1; }, std::chrono::seconds(3)));
  CHECK(up.stats()["h2_requests"] == 2);
  CHECK(up.stats()["open"] == 1);
  CHECK(svc.stop() == 0);
}

TEST_CASE("hedging: a head within hedge_after_ms starts no hedge", "[hedging]") {
  Upstream up;
  Service svc;
  auto res = fetch(svc.port(), {{"urls", {up.url("/bytes?n=10"), up.url("/delay?ms=50")}}, {"hedge_after_ms", 1000}});
  for (const auto& r : res["results"]) {
    CHECK(r["ok"] == true);
    CHECK_FALSE(r.contains("hedged"));
    CHECK(r["attempts"] == 1);
  }
  CHECK(up.requests() == 2);
  CHECK(svc.stop() == 0);
}

TEST_CASE("hedging: only GET, HEAD and OPTIONS are hedged", "[hedging]") {
  Upstream up;
  Service svc;
  auto by_method = post(svc.port(), "/fetch", Json{{"urls", {up.url("/")}}, {"method", "POST"}, {"hedge_after_ms", 100}}.dump());
  CHECK(by_method.status == 400);
  CHECK(by_method.body.find("hedge_after_ms") != std::string::npos);
  auto item = post(svc.port(), "/fetch",
                   Json{{"urls", {up.url("/"), {{"url", up.url("/")}, {"method", "PUT"}}}}, {"hedge_after_ms", 100}}.dump());
  CHECK(item.status == 400);
  CHECK(item.body.find("urls[1].method") != std::string::npos);
  auto range = post(svc.port(), "/fetch", Json{{"urls", {up.url("/")}}, {"hedge_after_ms", 0}}.dump());
  CHECK(range.status == 400);
  CHECK(range.body.find("hedge_after_ms") != std::string::npos);
  CHECK(up.requests() == 0);
  CHECK(svc.stop() == 0);
}
