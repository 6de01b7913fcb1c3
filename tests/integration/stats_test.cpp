// /stats and /metrics stay consistent under load: 200 concurrent clients;
// /metrics counts fetches per error code and HTTP version, upstream
// connections and TLS handshakes, and shows readiness.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "client.hpp"
#include "raw_upstream.hpp"
#include "service_process.hpp"
#include "tls_certs.hpp"
#include "upstream.hpp"

using namespace it;

TEST_CASE("stats add up after 200 concurrent client requests", "[stats]") {
  Upstream up;
  Service svc({.flags = {"--global_concurrency=32"}});
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  constexpr int clients = 200;
  std::atomic<int> ok_replies{0}, results_ok{0}, results_failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      Json body = {{"urls", {up.url("/bytes?n=100&t=" + std::to_string(t)), up.url("/status?code=404"), refused}},
                   {"concurrency", 3}};
      auto r = post(svc.port(), "/fetch", body.dump());
      if (r.status != 200) return;
      ++ok_replies;
      auto j = r.json();
      for (auto& res : j["results"]) ++(res["ok"].get<bool>() ? results_ok : results_failed);
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(ok_replies == clients);
  CHECK(results_ok == clients);
  CHECK(results_failed == 2 * clients);
  CHECK(up.max_in_flight() <= 32);

  auto s = stats(svc.port());
  CHECK(s["requests_total"] == clients);
  CHECK(s["fetches_total"] == 3 * clients);
  CHECK(s["fetches_succeeded"] == clients);
  CHECK(s["fetches_failed"] == 2 * clients);
  CHECK(s["fetches_succeeded"].get<long>() + s["fetches_failed"].get<long>() == s["fetches_total"].get<long>());
  CHECK(s["in_flight"] == 0);
  CHECK(s["max_in_flight"].get<long>() <= 32);
  CHECK(s["bytes_total"] == 100 * clients);
  CHECK(s["uptime_s"].get<double>() > 0);

  auto m = get(svc.port(), "/metrics");
  CHECK(m.status == 200);
  CHECK_THAT(m.header("Content-Type"), Catch::StartsWith("text/plain"));
  CHECK_THAT(m.body, Catch::Contains("asyncfetch_fetches_total 600\n"));
  CHECK_THAT(m.body, Catch::Contains("asyncfetch_in_flight 0\n"));
  CHECK_THAT(m.body, Catch::Contains("asyncfetch_fetch_duration_seconds_count 600\n"));
  CHECK_THAT(m.body, Catch::Contains("asyncfetch_fetch_duration_seconds_bucket{le=\"+Inf\"} 600\n"));
  CHECK(svc.stop() == 0);
}

TEST_CASE("stats: fetches_total == succeeded + failed + in_flight while fetches run", "[stats]") {
  Upstream up;
  Service svc;
  auto client = std::jthread([&] {  // joined even when a REQUIRE below fails
    post(svc.port(), "/fetch", Json{{"urls", {up.url("/delay?ms=3000"), up.url("/delay?ms=3000"), up.url("/bytes?n=1")}}}.dump());
  });
  REQUIRE(eventually([&] { return up.in_flight() == 2; }, std::chrono::seconds(5)));
  // The upstream has answered the quick URL; wait until the service has
  // counted it too (slow sanitizer builds take a moment).
  REQUIRE(eventually([&] { return stats(svc.port())["fetches_succeeded"] == 1; }, std::chrono::seconds(5)));
  auto s = stats(svc.port());
  client.join();
  CHECK(s["fetches_total"].get<long>() ==
        s["fetches_succeeded"].get<long>() + s["fetches_failed"].get<long>() + s["in_flight"].get<long>());
  CHECK(s["in_flight"] == 2);
  CHECK(s["requests_total"] == 1);
  s = stats(svc.port());
  CHECK(s["fetches_total"] == 3);
  CHECK(s["in_flight"] == 0);
  CHECK(svc.stop() == 0);
}

TEST_CASE("/metrics: finished fetches per error code and HTTP version, and readiness", "[stats]") {
  Upstream up;
  // A slow warm-up, so that /metrics can be asked before the service is ready.
  Service svc({.flags = {"--warmup_urls=" + up.url("/delay?ms=1000")}, .wait_ready = false});
  const std::string finished = "asyncfetch_fetches_finished_total{";
  auto m = get(svc.port(), "/metrics");
  REQUIRE(m.status == 200);
  CHECK_THAT(m.body, Catch::Contains("\nasyncfetch_ready 0\n"));
  // Warm-up fetches are not counted; the success series is there from the start.
  CHECK_THAT(m.body, Catch::Contains("\n" + finished + "error=\"none\",http_version=\"1.1\"} 0\n"));

  REQUIRE(eventually([&] { return get(svc.port(), "/readyz").status == 200; }, std::chrono::seconds(10)));
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  auto r = post(svc.port(), "/fetch", Json{{"urls", {up.url("/bytes?n=10"), refused, up.url("/status?code=404")}}}.dump());
  REQUIRE(r.status == 200);
  auto j = r.json();
  CHECK(j["results"][1]["error"] == "connect_failed");
  CHECK(j["results"][2]["ok"] == false);  // a response, so error "none" on /metrics all the same

  m = get(svc.port(), "/metrics");
  REQUIRE(m.status == 200);
  INFO(m.body);
  CHECK_THAT(m.body, Catch::Contains("\nasyncfetch_ready 1\n"));
  CHECK_THAT(m.body, Catch::Contains("\n" + finished + "error=\"none\",http_version=\"1.1\"} 2\n"));
  CHECK_THAT(m.body, Catch::Contains("\n" + finished + "error=\"connect_failed\",http_version=\"none\"} 1\n"));
  CHECK_THAT(m.body, Catch::Contains("\nasyncfetch_fetches_total 3\n"));
  // Those two and no other outcome.
  std::size_t series = 0;
  for (auto at = m.body.find("\n" + finished); at != std::string::npos; at = m.body.find("\n" + finished, at + 1)) ++series;
  CHECK(series == 2);
  CHECK(svc.stop() == 0);
}

TEST_CASE("/metrics: upstream connections opened and reused, TLS handshakes", "[stats][tls]") {
  const auto& pki = test_pki();
  Upstream up;
  Upstream tls(pki.server);
  Service svc({.flags = {"--ca_file=" + pki.ca}});
  auto metric = [&](const std::string& series) {
    const std::string body = get(svc.port(), "/metrics").body;
    const auto at = body.find("\n" + series + " ");
    REQUIRE(at != std::string::npos);
    return std::stol(body.substr(at + series.size() + 2));
  };
  const std::string opened = "asyncfetch_upstream_connections_opened_total";
  const std::string reused = "asyncfetch_upstream_connections_reused_total";
  const std::string full = "asyncfetch_tls_handshakes_total{resumed=\"false\"}";
  const std::string resumed = "asyncfetch_tls_handshakes_total{resumed=\"true\"}";
  // Every series is there before the first fetch.
  CHECK(metric(opened) == 0);
  CHECK(metric(reused) == 0);
  CHECK(metric(full) == 0);
  CHECK(metric(resumed) == 0);

  // One fetch opens a connection; the next one to the same origin reuses it.
  REQUIRE(fetch(svc.port(), {{"urls", {up.url("/bytes?n=1")}}})["results"][0]["ok"] == true);
  CHECK(metric(opened) == 1);
  CHECK(metric(reused) == 0);
  REQUIRE(fetch(svc.port(), {{"urls", {up.url("/bytes?n=2")}}})["results"][0]["ok"] == true);
  CHECK(metric(opened) == 1);
  CHECK(metric(reused) == 1);
  CHECK(up.requests() == 2);

  // https: a connection and a full handshake (no session to resume yet).
  REQUIRE(fetch(svc.port(), {{"urls", {tls.url("/bytes?n=1")}}})["results"][0]["ok"] == true);
  CHECK(metric(opened) == 2);
  CHECK(metric(full) == 1);
  CHECK(metric(resumed) == 0);
  REQUIRE(fetch(svc.port(), {{"urls", {tls.url("/bytes?n=1")}}})["results"][0]["ok"] == true);
  CHECK(metric(reused) == 2);
  CHECK(metric(full) == 1);  // a reused connection shakes no hands
  CHECK(svc.stop() == 0);
}
