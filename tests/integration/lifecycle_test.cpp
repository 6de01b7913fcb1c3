// Start-up (readiness, warm-up failure) and shutdown (drain on SIGTERM).
#include <catch2/catch.hpp>

#include <signal.h>

#include <future>

#include "client.hpp"
#include "raw_upstream.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;

TEST_CASE("readiness: /readyz is 503 during warm-up, then 200", "[lifecycle]") {
  Upstream up;
  Service svc({.flags = {"--warmup_urls=" + up.url("/delay?ms=700") + "," + up.url("/bytes?n=1")}, .wait_ready = false});
  auto r = get(svc.port(), "/readyz");
  CHECK(r.status == 503);
  CHECK(r.json()["ready"] == false);
  CHECK(get(svc.port(), "/healthz").json()["status"] == "ok");
  REQUIRE(eventually([&] { return get(svc.port(), "/readyz").status == 200; }, std::chrono::seconds(5)));
  CHECK(up.requests() == 2);  // every warm-up URL was fetched
  CHECK(svc.stop() == 0);
}

TEST_CASE("a warm-up URL that fails stops start-up with exit code 1 and a clear log line", "[lifecycle]") {
  Upstream up;
  const std::string bad = up.url("/status?code=500");
  Service svc({.flags = {"--warmup_urls=" + up.url("/bytes?n=1") + "," + bad}, .wait_ready = false,
               .wait_healthy = false});
  auto code = svc.wait_exit(std::chrono::seconds(10));
  REQUIRE(code.has_value());
  CHECK(*code == 1);
  auto log = svc.log();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("warm-up URL did not answer"));
  CHECK_THAT(log, Catch::Contains(bad));
}

TEST_CASE("a warm-up URL that cannot be reached fails start-up too", "[lifecycle]") {
  const std::string bad = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  Service svc({.flags = {"--warmup_urls=" + bad, "--timeout_ms=1500"}, .wait_ready = false, .wait_healthy = false});
  auto code = svc.wait_exit(std::chrono::seconds(10));
  REQUIRE(code.has_value());
  CHECK(*code == 1);
  CHECK_THAT(svc.log(), Catch::Contains("warm-up URL did not answer") && Catch::Contains("connect_failed"));
}

TEST_CASE("drain: SIGTERM during a slow /fetch lets it finish with 200, then exit 0", "[lifecycle]") {
  Upstream up;
  Service svc;
  auto slow = std::async(std::launch::async, [&] {
    return post(svc.port(), "/fetch", Json{{"urls", {up.url("/delay?ms=3000"), up.url("/delay?ms=2800")}}}.dump());
  });
  REQUIRE(eventually([&] { return up.in_flight() == 2; }, std::chrono::seconds(5)));
  svc.signal(SIGTERM);
  // Not ready any more: 503, or no answer at all once the listener is closed.
  REQUIRE(eventually([&] { return get(svc.port(), "/readyz", {}, std::chrono::milliseconds(500)).status != 200; },
                     std::chrono::seconds(2)));
  CHECK(svc.running());

  auto r = slow.get();
  REQUIRE(r.status == 200);
  auto j = r.json();
  CHECK(j["results"][0]["ok"] == true);
  CHECK(j["results"][1]["ok"] == true);
  CHECK(j["summary"]["succeeded"] == 2);

  auto code = svc.wait_exit(std::chrono::seconds(5));
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK_THAT(svc.log(), Catch::Contains("draining"));
}

TEST_CASE("drain: requests still running at drain_timeout_ms are cut, and the exit is still 0", "[lifecycle]") {
  Upstream up;
  Service svc({.flags = {"--drain_timeout_ms=300"}});
  auto slow = std::async(std::launch::async,
                         [&] { return post(svc.port(), "/fetch", Json{{"urls", {up.url("/delay?ms=5000")}}}.dump()); });
  REQUIRE(eventually([&] { return up.in_flight() == 1; }, std::chrono::seconds(5)));
  const auto t0 = std::chrono::steady_clock::now();
  auto code = svc.stop(std::chrono::seconds(4));
  CHECK(code == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  // Cut: no answer, or a whole JSON one whose fetch says it was cancelled; never a partial body.
  auto r = slow.get();
  if (r.status == 200) {
    CHECK(r.json()["results"][0]["error"] == "cancelled");
  } else {
    CHECK(r.status == 0);
  }
}

TEST_CASE("SIGINT is a clean stop too", "[lifecycle]") {
  Service svc;
  svc.signal(SIGINT);
  auto code = svc.wait_exit(std::chrono::seconds(5));
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}
