// What each result tells beyond its status, on the real binary: http_version,
// the final response's headers (include_headers) and where the final try's
// time went (include_timings), in the JSON answer and in NDJSON lines.
#include <catch2/catch.hpp>

#include <string>

#include "client.hpp"
#include "raw_upstream.hpp"
#include "service_process.hpp"
#include "tls_certs.hpp"
#include "upstream.hpp"

using namespace it;

namespace {

double ms_of(const Json& v) { return v.get<double>(); }

}  // namespace

TEST_CASE("result fields: http_version is the response's, null without one", "[result-fields]") {
  Upstream up;
  RawUpstream old(RawUpstream::Mode::canned, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi");
  Service svc;
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  auto res = fetch(svc.port(), {{"urls", {up.url("/bytes?n=3"), old.url(), refused}}});
  auto& r = res["results"];
  INFO(res.dump());
  CHECK(r[0]["http_version"] == "1.1");
  CHECK(r[1]["http_version"] == "1.0");
  CHECK(r[1]["ok"] == true);
  CHECK(r[2]["http_version"].is_null());
  CHECK(r[2]["error"] == "connect_failed");
  // On /metrics too: the label is the version the response came over.
  auto m = get(svc.port(), "/metrics").body;
  CHECK_THAT(m, Catch::Contains("asyncfetch_fetches_finished_total{error=\"none\",http_version=\"1.0\"} 1\n"));
  CHECK_THAT(m, Catch::Contains("asyncfetch_fetches_finished_total{error=\"none\",http_version=\"1.1\"} 1\n"));
  CHECK(svc.stop() == 0);
}

TEST_CASE("result fields: include_headers gives the final response's fields, lower-cased, repeats joined",
          "[result-fields]") {
  Upstream up;
  RawUpstream repeats(RawUpstream::Mode::canned,
                      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: a=1\r\nX-Thing: one\r\n"
                      "set-cookie: b=2\r\nX-THING: two\r\nConnection: close\r\n\r\nok");
  Service svc;
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  auto res = fetch(svc.port(), {{"urls", {repeats.url(), up.url("/redirect?to=/bytes%3Fn%3D5"), refused}},
                                {"include_headers", true}});
  auto& r = res["results"];
  INFO(res.dump());
  REQUIRE(r[0]["headers"].is_object());
  CHECK(r[0]["headers"] == Json{{"content-length", "2"}, {"set-cookie", "a=1, b=2"}, {"x-thing", "one, two"},
                                {"connection", "close"}});
  // After a redirect: the headers of the response that ended it, not of the 302.
  REQUIRE(r[1]["headers"].is_object());
  CHECK(r[1]["status"] == 200);
  CHECK(r[1]["headers"]["content-length"] == "5");
  CHECK(r[1]["headers"]["content-type"] == "application/octet-stream");
  CHECK_FALSE(r[1]["headers"].contains("location"));
  // No response, no headers.
  CHECK(r[2]["headers"].is_null());
  // Not asked for: not there.
  auto plain = fetch(svc.port(), {{"urls", {up.url("/bytes?n=1")}}});
  CHECK_FALSE(plain["results"][0].contains("headers"));
  CHECK_FALSE(plain["results"][0].contains("timings"));
  CHECK(svc.stop() == 0);
}

TEST_CASE("result fields: include_timings, a new connection and then a reused one", "[result-fields]") {
  Upstream up;
  Service svc;
  const Json body = {{"urls", {up.url("/delay?ms=200")}}, {"include_timings", true}};
  // A new connection to an IP literal over http: no DNS, no TLS.
  auto first = fetch(svc.port(), body)["results"][0];
  INFO(first.dump());
  REQUIRE(first["ok"] == true);
  auto t = first["timings"];
  REQUIRE(t.is_object());
  CHECK(t.size() == 5);
  CHECK(t["dns_ms"].is_null());
  CHECK(t["tls_ms"].is_null());
  REQUIRE(t["connect_ms"].is_number());
  CHECK(ms_of(t["connect_ms"]) >= 0);
  REQUIRE(t["ttfb_ms"].is_number());
  CHECK(ms_of(t["ttfb_ms"]) >= 200);  // the upstream waits 200 ms before its head
  CHECK(ms_of(t["ttfb_ms"]) >= ms_of(t["connect_ms"]));
  CHECK(ms_of(t["total_ms"]) >= ms_of(t["ttfb_ms"]));
  CHECK(ms_of(t["total_ms"]) <= ms_of(first["elapsed_ms"]));

  // The same origin again: the kept-alive connection, so none of the three.
  auto second = fetch(svc.port(), body)["results"][0];
  INFO(second.dump());
  t = second["timings"];
  REQUIRE(t.is_object());
  CHECK(t["dns_ms"].is_null());
  CHECK(t["connect_ms"].is_null());
  CHECK(t["tls_ms"].is_null());
  CHECK(ms_of(t["ttfb_ms"]) >= 200);
  CHECK(ms_of(t["total_ms"]) >= ms_of(t["ttfb_ms"]));
  CHECK(svc.stop() == 0);
}

TEST_CASE("result fields: include_timings over https by name has every phase, none without a try",
          "[result-fields][tls]") {
  const auto& pki = test_pki();
  Upstream tls(pki.server);
  Service svc({.flags = {"--ca_file=" + pki.ca}});
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  auto res = fetch(svc.port(), {{"urls", {tls.url("/bytes?n=10", "localhost"), refused, "ftp://x/"}},
                                {"include_timings", true}});
  INFO(res.dump());
  auto& r = res["results"];
  REQUIRE(r[0]["ok"] == true);
  const auto t = r[0]["timings"];
  for (const char* phase : {"dns_ms", "connect_ms", "tls_ms", "ttfb_ms", "total_ms"}) {
    INFO(phase);
    REQUIRE(t[phase].is_number());
    CHECK(ms_of(t[phase]) >= 0);
  }
  CHECK(ms_of(t["ttfb_ms"]) >= ms_of(t["dns_ms"]) + ms_of(t["connect_ms"]) + ms_of(t["tls_ms"]));
  // A refused connect: its connect phase, no response head.
  CHECK(r[1]["timings"]["connect_ms"].is_number());
  CHECK(r[1]["timings"]["ttfb_ms"].is_null());
  // Never tried: nothing to time.
  CHECK(r[2]["error"] == "invalid_url");
  CHECK(r[2]["timings"].is_null());
  CHECK(svc.stop() == 0);
}

TEST_CASE("result fields: NDJSON lines carry headers and timings too", "[result-fields]") {
  Upstream up;
  Service svc;
  auto streamed = fetch_ndjson(svc.port(), {{"urls", {up.url("/bytes?n=7")}},
                                            {"include_headers", true},
                                            {"include_timings", true}});
  REQUIRE(streamed.status == 200);
  REQUIRE(streamed.lines.size() == 2);
  const auto& line = streamed.lines[0].json;
  INFO(line.dump());
  CHECK(line["http_version"] == "1.1");
  CHECK(line["wire_bytes"] == 7);
  CHECK(line["content_encoding"].is_null());
  CHECK(line["headers"]["content-length"] == "7");
  CHECK(line["timings"]["ttfb_ms"].is_number());
  CHECK(streamed.lines[1].json.contains("summary"));
  CHECK(svc.stop() == 0);
}
