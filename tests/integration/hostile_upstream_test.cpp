// Upstreams that misbehave on purpose: each fetch ends with its API error
// code well within its timeout, the upstream sees its connection closed, and
// afterwards nothing leaked (check_recovered). The older cases (garbage, a
// server that never writes, redirect loops, slow bodies, wrong TLS host,
// blocked redirects, localhost blocked by DNS) live in fetch_errors_test,
// egress_test and tls_test.
#include <catch2/catch.hpp>

#include <cctype>
#include <cstdio>

#include "client.hpp"
#include "raw_upstream.hpp"
#include "recovery.hpp"
#include "service_process.hpp"
#include "tls_certs.hpp"
#include "upstream.hpp"

using namespace it;

namespace {

double elapsed(const Json& r) { return r["elapsed_ms"].get<double>(); }

// The figures behind the README's Reliability section.
void note(const char* what, const Json& r) {
  std::printf("%s: error %s, status %s, bytes %s, %.0f ms\n", what, r["error"].dump().c_str(),
              r["status"].dump().c_str(), r["bytes"].dump().c_str(), elapsed(r));
}

}  // namespace

TEST_CASE("hostile upstream: a reset mid-headers and one mid-body are protocol_error", "[hostile-upstream]") {
  Upstream up;
  RawUpstream in_headers(RawUpstream::Mode::reset_in_headers);
  RawUpstream in_body(RawUpstream::Mode::reset);
  Service svc({.flags = {hostile_global_flag}});
  auto res = fetch(svc.port(), {{"urls", {in_headers.url(), in_body.url()}}, {"timeout_ms", 10000}});
  auto& h = res["results"][0];
  note("reset mid-headers", h);
  note("reset mid-body", res["results"][1]);
  CHECK(h["error"] == "protocol_error");
  CHECK(h["status"].is_null());  // no complete head: no status
  CHECK(h["ok"] == false);
  CHECK(elapsed(h) < 5000);      // the reset ends it, not the 10 s timeout
  auto& b = res["results"][1];
  CHECK(b["error"] == "protocol_error");
  CHECK(b["status"] == 200);     // the head had arrived
  CHECK(b["bytes"].get<long>() <= 19);
  CHECK(b["ok"] == false);
  CHECK(elapsed(b) < 5000);
  CHECK(in_headers.accepted() == 1);
  CHECK(in_body.accepted() == 1);
  check_recovered(svc, up, hostile_global);
  CHECK(svc.stop() == 0);
}

TEST_CASE("hostile upstream: a body that never ends is a timeout, or too_large past max_body_bytes",
          "[hostile-upstream]") {
  Upstream up;
  RawUpstream endless(RawUpstream::Mode::endless_chunked);  // 1 KiB chunks, ~200 KiB/s, forever
  {
    Service svc({.flags = {hostile_global_flag}});  // max_body_bytes 1 MiB: the timeout comes first
    // The chunked stream, and a slow drip (a byte every 20 ms for 60 s).
    auto res = fetch(svc.port(), {{"urls", {endless.url(), up.url("/slow-body?ms=60000")}}, {"timeout_ms", 1000}});
    note("endless chunked body", res["results"][0]);
    note("slow drip", res["results"][1]);
    for (auto& r : res["results"]) {
      INFO(r.dump());
      CHECK(r["error"] == "timeout");
      CHECK(r["status"] == 200);
      CHECK(r["bytes"].get<long>() > 0);
      CHECK(elapsed(r) >= 990);
      CHECK(elapsed(r) < 4000);
    }
    // Both upstreams see their connection closed (the drip stops writing).
    CHECK(eventually([&] { return endless.open_connections() == 0; }, std::chrono::seconds(5)));
    check_recovered(svc, up, hostile_global);
    CHECK(svc.stop() == 0);
  }
  {
    Service svc({.flags = {hostile_global_flag, "--max_body_bytes=100000"}});
    auto res = fetch(svc.port(), {{"urls", {endless.url()}}, {"timeout_ms", 20000}});
    auto& r = res["results"][0];
    note("endless chunked body, max_body_bytes 100000", r);
    CHECK(r["error"] == "too_large");
    CHECK(r["bytes"] == 100000);
    CHECK(elapsed(r) < 10000);  // ~0.5 s of stream, not the 20 s timeout
    CHECK(eventually([&] { return endless.open_connections() == 0; }, std::chrono::seconds(5)));
    check_recovered(svc, up, hostile_global);
    CHECK(svc.stop() == 0);
  }
}

TEST_CASE("hostile upstream: 1 MiB of response headers is protocol_error, read no further", "[hostile-upstream]") {
  Upstream up;
  RawUpstream huge(RawUpstream::Mode::huge_headers);
  Service svc({.flags = {hostile_global_flag}});
  auto res = fetch(svc.port(), {{"urls", {huge.url()}}, {"timeout_ms", 10000}});
  auto& r = res["results"][0];
  note("1 MiB of headers", r);
  CHECK(r["error"] == "protocol_error");  // over the fetcher's 64 KiB header limit
  CHECK(r["status"].is_null());
  CHECK(elapsed(r) < 5000);
  CHECK(eventually([&] { return huge.open_connections() == 0; }, std::chrono::seconds(5)));
  check_recovered(svc, up, hostile_global);
  CHECK(svc.stop() == 0);
}

TEST_CASE("hostile upstream: chunked framing is removed, gzip decoded, and bytes and wire_bytes count each side",
          "[hostile-upstream]") {
  // gzip of {"hello":"gzip"}\n three times (51 bytes), 40 bytes compressed.
  const std::string gz("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xab\x56\xca\x48\xcd\xc9\xc9\x57\xb2\x52\x4a\xaf"
                       "\xca\x2c\x50\xaa\xe5\xaa\x26\x28\x00\x00\x69\x9b\x98\x07\x33\x00\x00\x00",
                       40);
  const std::string json_lines = "{\"hello\":\"gzip\"}\n{\"hello\":\"gzip\"}\n{\"hello\":\"gzip\"}\n";
  RawUpstream chunked(RawUpstream::Mode::canned,
                      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                      "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n");
  RawUpstream gzipped(RawUpstream::Mode::canned,
                      "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: application/json\r\n"
                      "Content-Length: 40\r\nConnection: close\r\n\r\n" + gz);
  RawUpstream gzipped_chunked(RawUpstream::Mode::canned,
                              "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"
                              "Connection: close\r\n\r\n19\r\n" + gz.substr(0, 25) + "\r\nf\r\n" + gz.substr(25) +
                                  "\r\n0\r\n\r\n");
  Service svc;
  const Json urls = {chunked.url(), gzipped.url(), gzipped_chunked.url()};
  auto res = fetch(svc.port(), {{"urls", urls}, {"include_body", true}, {"timeout_ms", 10000}});
  auto& r = res["results"];
  // Chunked: de-chunked, bytes counts the payload (12), not the framing.
  CHECK(r[0]["ok"] == true);
  CHECK(r[0]["bytes"] == 12);
  CHECK(r[0]["wire_bytes"] == 12);
  CHECK(r[0]["body"] == "hello, world");
  // gzip, with or without chunking (its stream split across chunks): decoded;
  // bytes counts the 51 decoded bytes, wire_bytes the 40 that arrived.
  for (int i : {1, 2}) {
    INFO(r[i].dump());
    CHECK(r[i]["ok"] == true);
    CHECK(r[i]["status"] == 200);
    CHECK(r[i]["bytes"] == 51);
    CHECK(r[i]["wire_bytes"] == 40);
    CHECK(r[i]["content_encoding"] == "gzip");
    CHECK(r[i]["truncated"] == false);
    CHECK(r[i]["body"] == json_lines);
  }
  // The service offered every coding it decodes.
  auto lower = [](std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  };
  CHECK_THAT(lower(gzipped.last_request()), Catch::Contains("\r\naccept-encoding: gzip, deflate, br, zstd\r\n"));
  CHECK(stats(svc.port())["bytes_total"] == 12 + 51 + 51);

  // decode false: the bytes as they came, and nothing asked for.
  res = fetch(svc.port(), {{"urls", urls}, {"include_body", true}, {"decode", false}, {"timeout_ms", 10000}});
  CHECK(res["results"][0]["body"] == "hello, world");
  for (int i : {1, 2}) {
    auto& p = res["results"][i];
    INFO(p.dump());
    CHECK(p["ok"] == true);
    CHECK(p["bytes"] == 40);
    CHECK(p["wire_bytes"] == 40);
    CHECK(p["content_encoding"] == "gzip");
    // The body text is those bytes, invalid UTF-8 as U+FFFD.
    CHECK_THAT(p["body"].get<std::string>(), Catch::StartsWith("\x1f\xef\xbf\xbd"));  // 0x1f, then 0x8b → U+FFFD
  }
  CHECK(lower(gzipped.last_request()).find("accept-encoding") == std::string::npos);
  CHECK(stats(svc.port())["bytes_total"] == 12 + 51 + 51 + 12 + 40 + 40);
  CHECK(svc.stop() == 0);
}

TEST_CASE("hostile upstream: an expired certificate is tls_failed, by IP and by name", "[hostile-upstream][tls]") {
  const auto& pki = test_pki();
  Upstream expired(pki.expired);
  Upstream valid(pki.server);  // same CA, same names, in date: proves the failure is the date
  Service svc({.flags = {hostile_global_flag, "--ca_file=" + pki.ca}});
  auto res = fetch(svc.port(), {{"urls", {expired.url("/bytes?n=1"), expired.url("/bytes?n=1", "localhost"),
                                          valid.url("/bytes?n=1")}},
                                {"timeout_ms", 10000}});
  auto& r = res["results"];
  note("expired certificate", r[0]);
  for (int i : {0, 1}) {
    INFO(r[i].dump());
    CHECK(r[i]["error"] == "tls_failed");
    CHECK(r[i]["status"].is_null());
    CHECK(elapsed(r[i]) < 5000);
  }
  CHECK(r[2]["ok"] == true);
  CHECK(expired.requests() == 0);  // no request was sent over the untrusted connection
  check_recovered(svc, valid, hostile_global);
  CHECK(svc.stop() == 0);
}
