// Tries and time: timeout_ms bounds a URL as a whole, a try may take all that
// is left of it unless try_timeout_ms bounds each try, and the warm-up follows
// the same rule.
#include <catch2/catch.hpp>

#include "client.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;

TEST_CASE("tries: a slow but healthy URL with retries succeeds in one attempt", "[tries]") {
  Upstream up;
  Service svc;
  auto res = fetch(svc.port(), {{"urls", {up.url("/delay?ms=1500")}}, {"retries", 3}, {"timeout_ms", 4000}});
  auto r = res["results"][0];
  CHECK(r["ok"] == true);
  CHECK(r["error"].is_null());
  CHECK(r["attempts"] == 1);
  CHECK(r["elapsed_ms"].get<double>() >= 1450);
  CHECK(r["elapsed_ms"].get<double>() < 3500);
  CHECK(up.requests() == 1);
  CHECK(svc.stop() == 0);
}

TEST_CASE("tries: a first try that hangs is cut by try_timeout_ms, the second succeeds", "[tries]") {
  Upstream up;
  Service svc;
  auto res = fetch(svc.port(), {{"urls", {up.url("/hang-first?key=a")}},
                                {"retries", 2},
                                {"timeout_ms", 8000},
                                {"try_timeout_ms", 500}});
  auto r = res["results"][0];
  CHECK(r["ok"] == true);
  CHECK(r["status"] == 200);
  CHECK(r["attempts"] == 2);
  CHECK(r["elapsed_ms"].get<double>() >= 500);   // the first try's bound
  CHECK(r["elapsed_ms"].get<double>() < 4000);   // not the URL's 8 s
  CHECK(up.requests() == 2);
  CHECK(svc.stop() == 0);
}

TEST_CASE("tries: without try_timeout_ms a hung try has all of timeout_ms, and none follows", "[tries]") {
  Upstream up;
  Service svc;
  auto res = fetch(svc.port(), {{"urls", {up.url("/hang-first?key=b")}}, {"retries", 3}, {"timeout_ms", 1500}});
  auto r = res["results"][0];
  CHECK(r["error"] == "timeout");
  CHECK(r["attempts"] == 1);
  CHECK(r["elapsed_ms"].get<double>() >= 1450);
  CHECK(r["elapsed_ms"].get<double>() < 3000);
  CHECK(svc.stop() == 0);
}

TEST_CASE("tries: a try over try_timeout_ms with no retry left ends in timeout", "[tries]") {
  Upstream up;
  Service svc;
  auto res = fetch(svc.port(), {{"urls", {up.url("/delay?ms=3000")}}, {"try_timeout_ms", 300}});
  auto r = res["results"][0];
  CHECK(r["error"] == "timeout");
  CHECK(r["attempts"] == 1);
  CHECK(r["elapsed_ms"].get<double>() >= 290);
  CHECK(r["elapsed_ms"].get<double>() < 2000);
  // try_timeout_ms never stretches a URL past timeout_ms.
  res = fetch(svc.port(), {{"urls", {up.url("/delay?ms=3000")}}, {"try_timeout_ms", 5000}, {"timeout_ms", 400}});
  CHECK(res["results"][0]["error"] == "timeout");
  CHECK(res["results"][0]["elapsed_ms"].get<double>() < 2000);
  CHECK(svc.stop() == 0);
}

TEST_CASE("warm-up: a URL answering in 2.5 s with the default timeout_ms makes the service ready", "[tries][lifecycle]") {
  Upstream up;
  Service svc({.flags = {"--warmup_urls=" + up.url("/delay?ms=2500")}, .wait_ready = false});
  REQUIRE(eventually([&] { return get(svc.port(), "/readyz").status == 200; }, std::chrono::seconds(8)));
  CHECK(up.requests() == 1);  // one try, not four cut short
  auto fetched = svc.log_entries("warm-up fetched");
  REQUIRE(fetched.size() == 1);
  CHECK(fetched[0]["ms"].get<double>() >= 2450);
  CHECK(svc.stop() == 0);
}
