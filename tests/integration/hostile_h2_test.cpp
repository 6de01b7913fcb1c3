// HTTP/2 upstreams that misbehave on purpose (hostile_h2_upstream.hpp): each
// fetch ends with its API error code within its timeout, the connection is
// closed by the service where the server broke the protocol and kept where
// only a stream failed, the service's memory stays bounded under floods, and
// afterwards nothing leaked: a healthy h2 origin is fetched over HTTP/2, and
// check_recovered() finds in_flight at 0 and every permit back.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "client.hpp"
#include "h2_upstreams.hpp"
#include "hostile_h2_upstream.hpp"
#include "process_memory.hpp"
#include "recovery.hpp"
#include "service_process.hpp"
#include "tls_certs.hpp"
#include "upstream.hpp"

using namespace it;
using Mode = HostileH2Upstream::Mode;

// Named, not anonymous: the unity build puts several test sources in one unit.
namespace hostile_h2_test {

constexpr int timeout_ms = 2000;
// The peak resident size the service may reach in a flood test (it starts
// at about 10 MiB; not checked under the sanitizers, see process_memory.hpp),
// and how much it may grow in one (about 1 MiB measured, up to 15 under ASan,
// its quarantine holding what was freed).
constexpr long rss_bound_kib = 64 * 1024;
constexpr long rss_growth_bound_kib = 32 * 1024;

double elapsed(const Json& r) { return r["elapsed_ms"].get<double>(); }

// The figures behind docs/reliability.md.
void note(const char* what, const Json& r) {
  std::printf("%s: error %s, status %s, bytes %s, attempts %s, %.0f ms\n", what, r["error"].dump().c_str(),
              r["status"].dump().c_str(), r["bytes"].dump().c_str(), r["attempts"].dump().c_str(), elapsed(r));
}

// One URL of the hostile server, fetched with `extra` fields.
Json fetch_hostile(const Service& svc, const HostileH2Upstream& bad, Json extra = Json::object()) {
  Json body = {{"urls", {bad.url("/")}}, {"timeout_ms", timeout_ms}};
  body.update(extra);
  return fetch(svc.port(), body)["results"][0];
}

// A protocol error of the server's: the fetch fails fast, not at its timeout.
void check_protocol_error(const Json& r) {
  INFO(r.dump());
  CHECK(r["error"] == "protocol_error");
  CHECK(r["ok"] == false);
  CHECK(elapsed(r) < timeout_ms);
}

// The pool is sane (a healthy h2 origin is fetched over HTTP/2) and nothing leaked.
void check_pool_and_recovery(const Service& svc, const GoUpstream& healthy, Upstream& up) {
  auto ok = fetch(svc.port(), {{"urls", {healthy.url("/bytes?n=5")}}})["results"][0];
  INFO(ok.dump());
  CHECK(ok["ok"] == true);
  CHECK(ok["http_version"] == "2");
  check_recovered(svc, up, hostile_global);
}

void check_memory(const Service& svc, long before_kib) {
  const long after = peak_rss_kib(svc.pid());
  std::printf("  VmHWM %ld KiB before, %ld KiB after\n", before_kib, after);
  CHECK(after > 0);
  CHECK(after - before_kib < rss_growth_bound_kib);
  if (!sanitizer_build) CHECK(after < rss_bound_kib);
}

// A server that sends frames without end: the fetch is protocol_error with no
// status, the service closes the connection, its memory stays bounded, and
// nothing has leaked.
void check_ends_connection(Mode mode, const char* what) {
  HostileH2Upstream bad(mode, test_pki().server);
  GoUpstream healthy(test_pki().server);
  Upstream up;
  Service svc(trusting_test_ca({hostile_global_flag}));
  const long before = peak_rss_kib(svc.pid());
  auto r = fetch_hostile(svc, bad);
  note(what, r);
  std::printf("  %ld bytes of frames sent\n", bad.bytes_sent());
  check_protocol_error(r);
  CHECK(r["status"].is_null());
  CHECK(eventually([&] { return bad.open_connections() == 0; }, std::chrono::seconds(5)));
  check_memory(svc, before);
  check_pool_and_recovery(svc, healthy, up);
  CHECK(svc.stop() == 0);
}

}  // namespace hostile_h2_test

using namespace hostile_h2_test;

TEST_CASE("hostile h2: GOAWAY in the middle of a body is protocol_error, retried on a new connection",
          "[hostile-upstream][http2]") {
  HostileH2Upstream bad(Mode::goaway_mid_body, test_pki().server);
  GoUpstream healthy(test_pki().server);
  Upstream up;
  Service svc(trusting_test_ca({hostile_global_flag}));
  auto r = fetch_hostile(svc, bad, {{"retries", 1}});
  note("GOAWAY mid-body", r);
  check_protocol_error(r);
  CHECK(r["attempts"] == 2);
  CHECK(r["status"] == 200);  // the head had arrived
  CHECK(r["bytes"] == 1000);  // what arrived before the GOAWAY
  // The retry took a new connection: one stream on each.
  CHECK(bad.accepted() == 2);
  CHECK(bad.max_streams_per_connection() == 1);
  CHECK(eventually([&] { return bad.open_connections() == 0; }, std::chrono::seconds(5)));
  check_pool_and_recovery(svc, healthy, up);
  CHECK(svc.stop() == 0);
}

TEST_CASE("hostile h2: a connection that sent GOAWAY mid-body and stays open takes no new stream",
          "[hostile-upstream][http2]") {
  HostileH2Upstream bad(Mode::goaway_kept_open, test_pki().server);
  GoUpstream healthy(test_pki().server);
  Upstream up;
  Service svc(trusting_test_ca({hostile_global_flag}));
  // One after the other: the second starts once the first connection has
  // said GOAWAY (and is still open, its one stream unfinished).
  auto res = fetch(svc.port(), {{"urls", {bad.url("/a"), bad.url("/b")}}, {"concurrency", 1},
                                {"timeout_ms", timeout_ms}});
  for (const auto& r : res["results"]) {
    note("GOAWAY(NO_ERROR) mid-body, then silence", r);
    INFO(r.dump());
    CHECK(r["error"] == "timeout");  // the stream was allowed to finish, and never did
    CHECK(r["status"] == 200);
    CHECK(r["bytes"] == 1000);
    CHECK(elapsed(r) >= timeout_ms - 10);
    CHECK(elapsed(r) < 3 * timeout_ms);
  }
  CHECK(bad.accepted() == 2);
  CHECK(bad.max_streams_per_connection() == 1);
  // Each stream was reset at its timeout; a connection with no stream left after a GOAWAY is closed.
  CHECK(eventually([&] { return bad.resets_received() == 2; }, std::chrono::seconds(5)));
  CHECK(eventually([&] { return bad.open_connections() == 0; }, std::chrono::seconds(5)));
  check_pool_and_recovery(svc, healthy, up);
  CHECK(svc.stop() == 0);
}

TEST_CASE("hostile h2: a SETTINGS flood ends the connection with protocol_error, memory bounded",
          "[hostile-upstream][http2]") {
  check_ends_connection(Mode::settings_flood, "SETTINGS flood");
}

TEST_CASE("hostile h2: a PING flood ends the connection with protocol_error, memory bounded",
          "[hostile-upstream][http2]") {
  check_ends_connection(Mode::ping_flood, "PING flood");
}

TEST_CASE("hostile h2: endless CONTINUATION frames are protocol_error at once, memory flat",
          "[hostile-upstream][http2]") {
  // The header block never ends, so HPACK cannot be resumed: the connection must go.
  check_ends_connection(Mode::endless_continuation, "endless CONTINUATION");
}

TEST_CASE("hostile h2: a header list over 64 KiB across CONTINUATIONs is protocol_error, the connection kept",
          "[hostile-upstream][http2]") {
  HostileH2Upstream bad(Mode::huge_header_list, test_pki().server);
  GoUpstream healthy(test_pki().server);
  Upstream up;
  Service svc(trusting_test_ca({hostile_global_flag}));
  auto r = fetch_hostile(svc, bad, {{"retries", 1}});
  note("96 KiB header list", r);
  check_protocol_error(r);
  CHECK(r["status"].is_null());
  CHECK(r["attempts"] == 2);
  // Only the stream was reset: the header block was read to its end, so the
  // connection (and its HPACK state) serves the retry.
  CHECK(bad.accepted() == 1);
  CHECK(bad.streams() == 2);
  CHECK(bad.open_connections() == 1);
  check_pool_and_recovery(svc, healthy, up);
  CHECK(svc.stop() == 0);
}

TEST_CASE("hostile h2: RST_STREAM on every stream is protocol_error after every retry, the connection kept",
          "[hostile-upstream][http2]") {
  HostileH2Upstream bad(Mode::reset_every_stream, test_pki().server);
  GoUpstream healthy(test_pki().server);
  Upstream up;
  Service svc(trusting_test_ca({hostile_global_flag}));
  auto r = fetch_hostile(svc, bad, {{"retries", 2}});
  note("RST_STREAM on every stream", r);
  check_protocol_error(r);
  CHECK(r["status"].is_null());
  CHECK(r["attempts"] == 3);
  CHECK(bad.accepted() == 1);
  CHECK(bad.streams() == 3);
  CHECK(bad.open_connections() == 1);
  check_pool_and_recovery(svc, healthy, up);
  CHECK(svc.stop() == 0);
}

TEST_CASE("hostile h2: a flow-control window that never opens is a timeout, the streams reset",
          "[hostile-upstream][http2]") {
  HostileH2Upstream bad(Mode::closed_window, test_pki().server);
  GoUpstream healthy(test_pki().server);
  Upstream up;
  Service svc(trusting_test_ca({hostile_global_flag}));
  const long before = peak_rss_kib(svc.pid());
  const std::string big(100000, 'b');  // more than a window of 0 lets out: none of it
  auto res = fetch(svc.port(), {{"urls", {{{"url", bad.url("/post")}, {"method", "POST"}, {"body", big}},
                                          bad.url("/get")}},
                                {"concurrency", 2},
                                {"timeout_ms", timeout_ms}});
  const auto& post = res["results"][0];
  const auto& get = res["results"][1];
  note("window 0, POST 100 kB", post);
  note("window 0, GET", get);
  for (const auto& r : res["results"]) {
    INFO(r.dump());
    CHECK(r["error"] == "timeout");
    CHECK(elapsed(r) >= timeout_ms - 10);
    CHECK(elapsed(r) < 3 * timeout_ms);
  }
  CHECK(post["status"].is_null());
  CHECK(get["status"] == 200);  // its head came; its body never will
  CHECK(bad.data_bytes_received() == 0);  // the window was honoured
  // Both streams were reset, on the one connection that stays.
  CHECK(eventually([&] { return bad.resets_received() == 2; }, std::chrono::seconds(5)));
  CHECK(bad.accepted() == 1);
  CHECK(bad.open_connections() == 1);
  check_memory(svc, before);
  check_pool_and_recovery(svc, healthy, up);
  CHECK(svc.stop() == 0);
}

TEST_CASE("hostile h2: a body cut short by the timeout keeps its status and the bytes that came, as over HTTP/1.1",
          "[hostile-upstream][http2]") {
  GoUpstream drip(test_pki().server);  // a byte every 20 ms for 60 s
  Upstream up;
  Service svc(trusting_test_ca({hostile_global_flag}));
  auto r = fetch(svc.port(), {{"urls", {drip.url("/slow-body?ms=60000")}}, {"timeout_ms", 1000},
                              {"include_body", true}})["results"][0];
  note("h2 slow drip", r);
  INFO(r.dump());
  CHECK(r["error"] == "timeout");
  CHECK(r["http_version"] == "2");
  CHECK(r["status"] == 200);
  CHECK(r["bytes"].get<long>() > 0);
  CHECK(r["body"] == std::string(r["bytes"].get<std::size_t>(), 'x'));
  CHECK(elapsed(r) >= 990);
  CHECK(elapsed(r) < 4000);
  // Its stream was reset; the connection stays for the next fetch.
  CHECK(eventually([&] { return drip.stats()["cancelled"] == 1; }, std::chrono::seconds(2)));
  CHECK(fetch(svc.port(), {{"urls", {drip.url("/bytes?n=2")}}})["results"][0]["ok"] == true);
  CHECK(drip.stats()["connections"] == 1);
  check_recovered(svc, up, hostile_global);
  CHECK(svc.stop() == 0);
}
