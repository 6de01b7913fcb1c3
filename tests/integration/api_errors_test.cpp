// Every 4xx/5xx of the API contract, each followed by a check that the
// service is still healthy and still fetching.
#include <catch2/catch.hpp>

#include <future>

#include "client.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;

namespace {

// The error body shape: {"error":{"code":"...","message":"..."}}.
Json error_of(const Reply& r) {
  auto j = r.json();
  REQUIRE(j.contains("error"));
  REQUIRE(j["error"]["code"].is_string());
  REQUIRE(j["error"]["message"].is_string());
  return j["error"];
}

void still_serving(const Service& svc, const Upstream& up, const Headers& h = {}) {
  CHECK(get(svc.port(), "/healthz").status == 200);
  auto r = post(svc.port(), "/fetch", Json{{"urls", {up.url("/bytes?n=3")}}}.dump(), h);
  REQUIRE(r.status == 200);
  CHECK(r.json()["results"][0]["ok"] == true);
}

}  // namespace

TEST_CASE("400: malformed JSON and wrong field types or ranges, naming the field", "[api]") {
  Upstream up;
  Service svc({.flags = {"--max_urls_per_request=3", "--max_concurrency_per_request=10"}});
  struct Case {
    std::string body;
    std::string field;  // must appear in the message ("" for malformed JSON)
  };
  const std::string u = "\"" + up.url("/bytes?n=1") + "\"";
  std::vector<Case> cases = {
      {"{", ""},
      {"not json", ""},
      {"[1,2]", ""},
      {"", ""},
      {"{}", "urls"},
      {"{\"urls\":\"x\"}", "urls"},
      {"{\"urls\":[]}", "urls"},
      {"{\"urls\":[1]}", "urls[0]"},
      {"{\"urls\":[" + u + "," + u + "," + u + "," + u + "]}", "urls"},
      {"{\"urls\":[" + u + "],\"concurrency\":\"8\"}", "concurrency"},
      {"{\"urls\":[" + u + "],\"concurrency\":0}", "concurrency"},
      {"{\"urls\":[" + u + "],\"concurrency\":11}", "concurrency"},
      {"{\"urls\":[" + u + "],\"timeout_ms\":-5}", "timeout_ms"},
      {"{\"urls\":[" + u + "],\"timeout_ms\":1.5}", "timeout_ms"},
      {"{\"urls\":[" + u + "],\"retries\":6}", "retries"},
      {"{\"urls\":[" + u + "],\"method\":\"BREW\"}", "method"},
      {"{\"urls\":[" + u + "],\"method\":7}", "method"},
      {"{\"urls\":[" + u + "],\"include_body\":\"yes\"}", "include_body"},
      {"{\"urls\":[" + u + "],\"headers\":[]}", "headers"},
      {"{\"urls\":[" + u + "],\"headers\":{\"X-A\":1}}", "headers.X-A"},
      {"{\"urls\":[" + u + "],\"headers\":{\"Host\":\"evil\"}}", "headers.Host"},
      {"{\"urls\":[" + u + "],\"surprise\":1}", "surprise"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    auto r = post(svc.port(), "/fetch", c.body, {{"Content-Type", "application/json"}});
    CHECK(r.status == 400);
    auto e = error_of(r);
    if (!c.field.empty()) CHECK_THAT(e["message"].get<std::string>(), Catch::Contains("\"" + c.field + "\""));
  }
  CHECK(up.requests() == 0);
  still_serving(svc, up);
  CHECK(svc.stop() == 0);
}

TEST_CASE("401 with auth_token: /fetch /stats /metrics need the bearer token, probes do not", "[api]") {
  Upstream up;
  Service svc({.flags = {"--auth_token=s3cret-token"}});
  const Headers good = {{"Authorization", "Bearer s3cret-token"}};
  const std::string body = Json{{"urls", {up.url("/bytes?n=1")}}}.dump();
  for (const Headers& h : std::vector<Headers>{{}, {{"Authorization", "Bearer wrong"}},
                                               {{"Authorization", "s3cret-token"}},
                                               {{"Authorization", "Bearer s3cret-token-and-more"}},
                                               {{"Authorization", "Basic czNjcmV0LXRva2Vu"}}}) {
    auto r = post(svc.port(), "/fetch", body, h);
    CHECK(r.status == 401);
    CHECK(error_of(r)["code"].is_string());
    CHECK(get(svc.port(), "/stats", h).status == 401);
    CHECK(get(svc.port(), "/metrics", h).status == 401);
  }
  CHECK(up.requests() == 0);
  CHECK(get(svc.port(), "/healthz").status == 200);
  CHECK(get(svc.port(), "/readyz").status == 200);
  CHECK(get(svc.port(), "/stats", good).status == 200);
  CHECK(get(svc.port(), "/metrics", good).status == 200);
  still_serving(svc, up, good);
  CHECK(svc.stop() == 0);
}

TEST_CASE("404 unknown path and 405 wrong method", "[api]") {
  Upstream up;
  Service svc;
  auto r = get(svc.port(), "/nope");
  CHECK(r.status == 404);
  CHECK(error_of(r)["code"].is_string());
  CHECK(post(svc.port(), "/fetchx", "{}").status == 404);

  r = get(svc.port(), "/fetch");
  CHECK(r.status == 405);
  CHECK_THAT(r.header("Allow"), Catch::Contains("POST"));
  error_of(r);
  CHECK(post(svc.port(), "/healthz", "{}").status == 405);
  CHECK(request(svc.port(), "DELETE", "/stats").status == 405);
  CHECK(request(svc.port(), "PUT", "/readyz", "{}").status == 405);
  still_serving(svc, up);
  CHECK(svc.stop() == 0);
}

TEST_CASE("413 when the request body is over max_request_bytes", "[api]") {
  Upstream up;
  Service svc({.flags = {"--max_request_bytes=200"}});
  Json urls = Json::array();
  for (int i = 0; i < 10; ++i) urls.push_back(up.url("/bytes?n=1&padding=" + std::to_string(i)));
  auto r = post(svc.port(), "/fetch", Json{{"urls", urls}}.dump());
  CHECK(r.status == 413);
  error_of(r);
  CHECK(up.requests() == 0);
  still_serving(svc, up);
  CHECK(svc.stop() == 0);
}

TEST_CASE("429 when the service-wide queue of waiting fetches is full", "[api]") {
  Upstream up;
  // One fetch in flight, one may wait: room for 2 fetches service-wide.
  Service svc({.flags = {"--global_concurrency=1", "--max_queue=1"}});
  auto slow = std::async(std::launch::async,
                         [&] { return fetch(svc.port(), {{"urls", {up.url("/delay?ms=1500")}}}); });
  REQUIRE(eventually([&] { return up.in_flight() == 1; }, std::chrono::seconds(5)));

  auto r = post(svc.port(), "/fetch", Json{{"urls", {up.url("/bytes?n=1"), up.url("/bytes?n=2")}}}.dump());
  CHECK(r.status == 429);
  CHECK(r.header("Retry-After") != "");
  CHECK(error_of(r)["code"].is_string());
  CHECK(get(svc.port(), "/healthz").status == 200);

  // One more fetch still fits: it waits behind the slow one.
  auto one = post(svc.port(), "/fetch", Json{{"urls", {up.url("/bytes?n=1")}}}.dump());
  CHECK(one.status == 200);
  CHECK(slow.get()["results"][0]["ok"] == true);
  CHECK(up.max_in_flight() == 1);

  // The queue drained: the two-URL request fits now.
  auto again = post(svc.port(), "/fetch", Json{{"urls", {up.url("/bytes?n=1"), up.url("/bytes?n=2")}}}.dump());
  CHECK(again.status == 200);
  auto s = stats(svc.port());
  CHECK(s["in_flight"] == 0);
  CHECK(s["rejected_total"] == 1);
  CHECK(svc.stop() == 0);
}

TEST_CASE("503 with Retry-After for /fetch before ready, then 200", "[api][lifecycle]") {
  Upstream up;
  Service svc({.flags = {"--warmup_urls=" + up.url("/delay?ms=1500"), "--ready_wait_ms=100"}, .wait_ready = false});
  CHECK(get(svc.port(), "/healthz").status == 200);
  auto ready = get(svc.port(), "/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.json()["ready"] == false);

  auto r = post(svc.port(), "/fetch", Json{{"urls", {up.url("/bytes?n=1")}}}.dump());
  CHECK(r.status == 503);
  CHECK(r.header("Retry-After") != "");
  error_of(r);

  REQUIRE(eventually([&] { return get(svc.port(), "/readyz").status == 200; }, std::chrono::seconds(5)));
  CHECK(get(svc.port(), "/readyz").json()["ready"] == true);
  still_serving(svc, up);
  CHECK(svc.stop() == 0);
}

TEST_CASE("a /fetch that arrives before ready waits for readiness within ready_wait_ms", "[api][lifecycle]") {
  Upstream up;
  Service svc({.flags = {"--warmup_urls=" + up.url("/delay?ms=600"), "--ready_wait_ms=5000"}, .wait_ready = false});
  CHECK(get(svc.port(), "/readyz").status == 503);
  auto r = post(svc.port(), "/fetch", Json{{"urls", {up.url("/bytes?n=4")}}}.dump());
  CHECK(r.status == 200);
  CHECK(r.json()["results"][0]["bytes"] == 4);
  CHECK(get(svc.port(), "/readyz").status == 200);
  CHECK(svc.stop() == 0);
}
