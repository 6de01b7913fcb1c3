// HTTP/2 upstreams: Go's net/http and nghttpd, real peers on loopback with
// the test PKI. The service runs with two loop threads (service_process), so
// streams of one connection belong to fetch tasks on different threads.
#include <catch2/catch.hpp>

#include <string>

#include "client.hpp"
#include "h2_upstreams.hpp"
#include "raw_upstream.hpp"
#include "service_process.hpp"
#include "tls_certs.hpp"
#include "upstream.hpp"

using namespace it;

namespace {

Json urls_of(const GoUpstream& up, const std::string& path, int n) {
  Json urls = Json::array();
  for (int i = 0; i < n; ++i) urls.push_back(up.url(path + "&i=" + std::to_string(i)));
  return urls;
}

}  // namespace

TEST_CASE("HTTP/2: 50 fetches to one origin are streams on one connection, all at once", "[http2]") {
  GoUpstream up(test_pki().server);
  Service svc(trusting_test_ca());
  // Each answers only once all 50 are in flight at the upstream together.
  auto res = fetch(svc.port(), {{"urls", urls_of(up, "/meet?n=50&ms=8000", 50)},
                                {"concurrency", 50},
                                {"include_body", true},
                                {"timeout_ms", 15000}});
  for (const auto& r : res["results"]) {
    CHECK(r["ok"] == true);
    CHECK(r["body"] == "met");
  }
  const auto s = up.stats();
  CHECK(s["connections"] == 1);
  CHECK(s["h2_requests"] == 50);
  CHECK(s["h1_requests"] == 0);
  CHECK(s["max_streams_per_connection"] == 50);
  CHECK_THAT(get(svc.port(), "/metrics").body,
             Catch::Contains("asyncfetch_fetches_finished_total{error=\"none\",http_version=\"2\"} 50"));

  // A later request finds the connection and reuses it.
  auto again = fetch(svc.port(), {{"urls", urls_of(up, "/bytes?n=10", 5)}, {"concurrency", 5}});
  CHECK(again["summary"]["succeeded"] == 5);
  CHECK(up.stats()["connections"] == 1);
  CHECK(svc.stop() == 0);
}

TEST_CASE("HTTP/2: HTTP/1.1-only TLS servers are fetched over HTTP/1.1 with http2 on", "[http2]") {
  Upstream plain_tls(test_pki().server);  // no ALPN at all
  GoUpstream h1(test_pki().server, /*http1_only=*/true);  // ALPN http/1.1
  Service svc(trusting_test_ca());
  for (int round = 0; round < 2; ++round) {  // the second finds the origins known and pooled
    Json urls = Json::array();
    for (int i = 0; i < 4; ++i) {
      urls.push_back(plain_tls.url("/bytes?n=7&i=" + std::to_string(i)));
      urls.push_back(h1.url("/bytes?n=7&i=" + std::to_string(i)));
    }
    auto res = fetch(svc.port(), {{"urls", urls}, {"concurrency", 8}});
    for (const auto& r : res["results"]) {
      CHECK(r["ok"] == true);
      CHECK(r["bytes"] == 7);
    }
  }
  CHECK(h1.stats()["h1_requests"] == 8);
  CHECK(h1.stats()["h2_requests"] == 0);
  CHECK(plain_tls.requests() == 8);
  CHECK(svc.stop() == 0);
}

TEST_CASE("HTTP/2: http2 false fetches an h2 server over HTTP/1.1", "[http2]") {
  GoUpstream up(test_pki().server);
  Service svc(trusting_test_ca({"--http2=false"}));
  auto res = fetch(svc.port(), {{"urls", urls_of(up, "/bytes?n=3", 4)}, {"concurrency", 4}});
  CHECK(res["summary"]["succeeded"] == 4);
  CHECK(up.stats()["h1_requests"] == 4);
  CHECK(up.stats()["h2_requests"] == 0);
  CHECK(svc.stop() == 0);
}

TEST_CASE("HTTP/2: past the server's SETTINGS_MAX_CONCURRENT_STREAMS, another connection", "[http2]") {
  Nghttpd up(test_pki().server, /*max_concurrent_streams=*/2, {{"big", std::string(512 * 1024, 'b')}});
  Service svc(trusting_test_ca());
  Json urls = Json::array();
  for (int i = 0; i < 8; ++i) urls.push_back(up.url("/big?i=" + std::to_string(i)));
  auto res = fetch(svc.port(), {{"urls", urls}, {"concurrency", 8}});
  for (const auto& r : res["results"]) {
    CHECK(r["ok"] == true);
    CHECK(r["bytes"] == 512 * 1024);
  }
  // Eight at once, two per connection: the first connection's two streams
  // leave six fetches that need more (how many depends on how soon the first
  // streams end).
  CHECK(up.sessions() >= 2);
  CHECK(svc.stop() == 0);
}

TEST_CASE("HTTP/2: RST_STREAM from the server is protocol_error, retried like a reset", "[http2]") {
  GoUpstream up(test_pki().server);
  Service svc(trusting_test_ca());
  auto res = fetch(svc.port(), {{"urls", {up.url("/reset"), up.url("/reset?again=1")}}, {"concurrency", 1},
                                {"retries", 1}});
  for (const auto& r : res["results"]) {
    CHECK(r["error"] == "protocol_error");
    CHECK(r["status"].is_null());
    CHECK(r["attempts"] == 2);
  }
  // A reset stream leaves the connection to the others.
  auto ok = fetch(svc.port(), {{"urls", {up.url("/bytes?n=5")}}});
  CHECK(ok["results"][0]["ok"] == true);
  CHECK(up.stats()["connections"] == 1);
  CHECK(up.stats()["h2_requests"] == 5);
  CHECK(svc.stop() == 0);
}

TEST_CASE("HTTP/2: a connection that sent GOAWAY takes no new streams", "[http2]") {
  GoUpstream up(test_pki().server);
  Service svc(trusting_test_ca());
  auto bye = fetch(svc.port(), {{"urls", {up.url("/goaway")}}, {"include_body", true}});
  CHECK(bye["results"][0]["ok"] == true);
  CHECK(bye["results"][0]["body"] == "bye");
  auto next = fetch(svc.port(), {{"urls", urls_of(up, "/bytes?n=4", 3)}, {"concurrency", 3}});
  CHECK(next["summary"]["succeeded"] == 3);
  CHECK(up.stats()["connections"] == 2);
  CHECK(up.stats()["h2_requests"] == 4);
  CHECK(svc.stop() == 0);
}

TEST_CASE("HTTP/2: a client that goes away resets its streams, the connection stays", "[http2][disconnect]") {
  GoUpstream up(test_pki().server);
  Service svc(trusting_test_ca());
  // A connection first, so that the streams below share it.
  CHECK(fetch(svc.port(), {{"urls", {up.url("/bytes?n=1")}}})["results"][0]["ok"] == true);
  {
    RawClient client(svc.port(), {{"urls", urls_of(up, "/slow-body?ms=5000", 3)}, {"concurrency", 3},
                                  {"timeout_ms", 20000}});
    REQUIRE(eventually([&] { return up.stats()["in_flight"] == 3; }, std::chrono::seconds(5)));
    client.close();
  }
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(eventually([&] { return up.stats()["cancelled"] == 3; }, std::chrono::seconds(2)));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));  // far less than the 5 s of work
  CHECK(eventually([&] { return stats(svc.port())["in_flight"] == 0; }, std::chrono::seconds(2)));
  CHECK(up.stats()["open"] == 1);
  CHECK(fetch(svc.port(), {{"urls", {up.url("/bytes?n=2")}}})["results"][0]["ok"] == true);
  CHECK(up.stats()["connections"] == 1);
  CHECK(svc.stop() == 0);
}

TEST_CASE("HTTP/2: a stream past the URL's timeout is reset, the connection kept", "[http2]") {
  GoUpstream up(test_pki().server);
  Service svc(trusting_test_ca());
  auto res = fetch(svc.port(), {{"urls", {up.url("/delay?ms=5000")}}, {"timeout_ms", 400}});
  CHECK(res["results"][0]["error"] == "timeout");
  CHECK(res["results"][0]["elapsed_ms"].get<double>() < 3000);
  CHECK(eventually([&] { return up.stats()["cancelled"] == 1; }, std::chrono::seconds(2)));
  CHECK(fetch(svc.port(), {{"urls", {up.url("/bytes?n=2")}}})["results"][0]["ok"] == true);
  CHECK(up.stats()["connections"] == 1);
  CHECK(svc.stop() == 0);
}

TEST_CASE("HTTP/2: a body over max_body_bytes is too_large, a head over 64 KiB protocol_error", "[http2]") {
  GoUpstream up(test_pki().server);
  Service svc(trusting_test_ca({"--max_body_bytes=1000"}));
  auto res = fetch(svc.port(), {{"urls", {up.url("/bytes?n=200000"), up.url("/big-headers?kb=80"),
                                          up.url("/bytes?n=1000")}},
                                {"include_body", true}, {"concurrency", 1}});
  const auto& big = res["results"][0];
  CHECK(big["error"] == "too_large");
  CHECK(big["status"] == 200);
  CHECK(big["bytes"] == 1000);
  CHECK(big["truncated"] == true);
  CHECK(big["body"] == std::string(1000, 'x'));
  CHECK(res["results"][1]["error"] == "protocol_error");
  CHECK(res["results"][2]["ok"] == true);  // exactly the cap is fine
  CHECK(res["results"][2]["bytes"] == 1000);
  CHECK(up.stats()["connections"] == 1);
  CHECK(svc.stop() == 0);
}

TEST_CASE("HTTP/2: redirects, HEAD and the request's fields", "[http2]") {
  GoUpstream up(test_pki().server);
  Service svc(trusting_test_ca());
  const std::string to = "https%3A%2F%2Flocalhost%3A" + std::to_string(up.port()) + "%2Fheaders";
  auto res = fetch(svc.port(), {{"urls", {up.url("/redirect?to=" + to)}},
                                {"include_body", true},
                                {"headers", {{"X-Test", "yes"}}}});
  const auto& r = res["results"][0];
  REQUIRE(r["ok"] == true);
  const auto echoed = Json::parse(r["body"].get<std::string>());
  CHECK(echoed[":proto"] == "HTTP/2.0");
  CHECK(echoed[":authority"] == "localhost:" + std::to_string(up.port()));
  CHECK(echoed["x-test"] == "yes");
  CHECK(echoed["user-agent"] == "asyncfetch/0.1");

  auto head = fetch(svc.port(), {{"urls", {up.url("/bytes?n=10")}}, {"method", "HEAD"}});
  CHECK(head["results"][0]["ok"] == true);
  CHECK(head["results"][0]["bytes"] == 0);
  CHECK(svc.stop() == 0);
}

TEST_CASE("HTTP/2: items' methods, bodies past the flow-control window and URL credentials", "[http2][items]") {
  GoUpstream up(test_pki().server);
  Service svc(trusting_test_ca());
  const std::string big(300000, 'b');  // several times the 64 KiB a stream may send before a WINDOW_UPDATE
  const std::string with_userinfo = "https://u:p%40ss@127.0.0.1:" + std::to_string(up.port()) + "/echo";
  auto res = fetch(svc.port(), {{"urls",
                                 {{{"url", up.url("/echo")}, {"id", "big"}, {"method", "PUT"}, {"body", big}},
                                  {{"url", up.url("/echo")}, {"method", "POST"}, {"body", "{\"a\":1}"},
                                   {"headers", {{"content-type", "application/json"}}}},
                                  {{"url", up.url("/echo")}, {"method", "PATCH"}},
                                  with_userinfo}},
                                {"include_body", true},
                                {"timeout_ms", 15000}});
  const auto& r = res["results"];
  auto put = body_json(r[0]);
  CHECK(r[0]["id"] == "big");
  CHECK(put["proto"] == "HTTP/2.0");
  CHECK(put["method"] == "PUT");
  CHECK(put["content_length"] == big.size());
  CHECK(put["body"] == big);
  auto post = body_json(r[1]);
  CHECK(post["method"] == "POST");
  CHECK(post["body"] == "{\"a\":1}");
  CHECK(post["headers"]["content-type"] == "application/json");
  auto patch = body_json(r[2]);
  CHECK(patch["method"] == "PATCH");
  CHECK(patch["content_length"] == 0);
  auto get = body_json(r[3]);
  CHECK(get["proto"] == "HTTP/2.0");
  CHECK(get["headers"]["authorization"] == "Basic dTpwQHNz");  // "u:p@ss"
  CHECK(r[3]["url"] == "https://u:***@127.0.0.1:" + std::to_string(up.port()) + "/echo");
  CHECK(up.stats()["h2_requests"] == 4);
  CHECK(svc.stop() == 0);
}

TEST_CASE("HTTP/2: bodies decoded, the service's fields sent, the trace passed on, timings", "[http2][decoding]") {
  GoUpstream up(test_pki().server);
  Service svc(trusting_test_ca({"--max_body_bytes=1048576"}));
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto res = fetch(svc.port(),
                   {{"urls", {up.url("/gzip?n=100000"), up.url("/gzip-garbage"), up.url("/gzip?n=64000000"),
                              up.url("/headers")}},
                    {"include_body", true},
                    {"include_timings", true},
                    {"timeout_ms", 15000}},
                   {{"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}});
  const auto& r = res["results"];
  CHECK(r[0]["ok"] == true);
  CHECK(r[0]["http_version"] == "2");
  CHECK(r[0]["content_encoding"] == "gzip");
  CHECK(r[0]["bytes"] == 100000);
  CHECK(r[0]["wire_bytes"] < 2000);
  CHECK(r[0]["body"] == std::string(100000, 'z'));
  CHECK(r[0]["timings"]["ttfb_ms"].is_number());
  CHECK(r[0]["timings"]["total_ms"] >= r[0]["timings"]["ttfb_ms"]);

  CHECK(r[1]["error"] == "protocol_error");  // plain text labelled gzip
  CHECK(r[1]["status"] == 200);

  // A 64 MB body in about 62 KB of gzip: decoding stops at the cap.
  CHECK(r[2]["error"] == "too_large");
  CHECK(r[2]["bytes"] == 1048576);
  CHECK(r[2]["truncated"] == true);

  const auto sent = body_json(r[3]);
  CHECK(sent[":proto"] == "HTTP/2.0");
  CHECK(sent["accept-encoding"] == "gzip, deflate, br, zstd");
  const std::string traceparent = sent["traceparent"];
  CHECK(traceparent.substr(0, 36) == "00-" + trace + "-");
  CHECK(traceparent.substr(36, 16) != "00f067aa0ba902b7");  // a span of the service's own
  CHECK(res["summary"]["total"] == 4);

  // decode false: no Accept-Encoding offered, the body as it came.
  auto raw = fetch(svc.port(), {{"urls", {up.url("/gzip?n=1000"), up.url("/headers")}},
                                {"decode", false},
                                {"include_body", true}});
  CHECK(raw["results"][0]["ok"] == true);
  CHECK(raw["results"][0]["content_encoding"] == "gzip");
  CHECK(raw["results"][0]["bytes"] == raw["results"][0]["wire_bytes"]);
  CHECK(raw["results"][0]["bytes"] < 1000);
  CHECK_FALSE(body_json(raw["results"][1]).contains("accept-encoding"));
  CHECK(up.stats()["connections"] == 1);
  CHECK(svc.stop() == 0);
}
