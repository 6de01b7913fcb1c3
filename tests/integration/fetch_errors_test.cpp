// Every fetch error code of the API, each provoked for real. (blocked has a
// file of its own: egress_test.cpp; cancelled: disconnect_test.cpp.)
#include <catch2/catch.hpp>

#include "client.hpp"
#include "raw_upstream.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;

TEST_CASE("fetch errors: invalid_url", "[errors]") {
  Service svc;
  for (std::string bad : {"not a url", "ftp://127.0.0.1/x", "http://", "http://user@pw@127.0.0.1/", "/relative",
                          "http://127.0.0.1:99999/", "http://exa mple.com/"}) {
    INFO(bad);
    auto r = fetch_one(svc.port(), bad);
    CHECK(r["ok"] == false);
    CHECK(r["error"] == "invalid_url");
    CHECK(r["status"].is_null());
    if (bad.find('@') == std::string::npos) CHECK(r["url"] == bad);
  }
  // An invalid URL is echoed with its credentials masked all the same.
  auto r = fetch_one(svc.port(), "http://user:p@ss@127.0.0.1/");
  CHECK(r["error"] == "invalid_url");
  CHECK(r["url"] == "http://user:***@127.0.0.1/");
  CHECK(fetch_one(svc.port(), "http://user@pw@127.0.0.1/")["url"] == "http://***@127.0.0.1/");
  CHECK(svc.stop() == 0);
}

// Hidden (not run by CTest): resolving a name that does not exist asks the
// machine's DNS resolver, which is not on loopback, and tests only ever talk
// to loopback. Run by hand: integration_tests "[external-dns]".
TEST_CASE("fetch errors: dns_failed", "[.][external-dns]") {
  Service svc;
  auto r = fetch_one(svc.port(), "http://does-not-exist.invalid/");
  CHECK(r["ok"] == false);
  CHECK(r["error"] == "dns_failed");
  CHECK(r["status"].is_null());
  CHECK(svc.stop() == 0);
}

TEST_CASE("fetch errors: connect_failed on a closed port, and on a connect timeout", "[errors]") {
  Service svc;
  auto r = fetch_one(svc.port(), "http://127.0.0.1:" + std::to_string(closed_port()) + "/");
  CHECK(r["ok"] == false);
  CHECK(r["error"] == "connect_failed");
  CHECK(r["status"].is_null());
  CHECK(r["attempts"] == 1);
  CHECK(svc.stop() == 0);

  // A connect that hangs: connect_timeout_ms ends it as connect_failed...
  FullBacklog hung;
  Service svc2({.flags = {"--connect_timeout_ms=300"}});
  r = fetch_one(svc2.port(), hung.url(), {{"timeout_ms", 5000}});
  CHECK(r["error"] == "connect_failed");
  CHECK(r["status"].is_null());
  CHECK(r["elapsed_ms"].get<double>() >= 290);
  CHECK(r["elapsed_ms"].get<double>() < 2000);
  // ...unless the URL's total timeout comes first: then it is a timeout.
  r = fetch_one(svc2.port(), hung.url(), {{"timeout_ms", 150}});
  CHECK(r["error"] == "timeout");
  CHECK(r["elapsed_ms"].get<double>() < 1000);
  CHECK(svc2.stop() == 0);
}

TEST_CASE("fetch errors: tls_failed when the upstream does not speak TLS", "[errors]") {
  Upstream up;  // plain HTTP
  Service svc;
  auto r = fetch_one(svc.port(), "https://127.0.0.1:" + std::to_string(up.port()) + "/bytes?n=1");
  CHECK(r["ok"] == false);
  CHECK(r["error"] == "tls_failed");
  CHECK(r["status"].is_null());
  CHECK(svc.stop() == 0);
}

TEST_CASE("fetch errors: timeout when the upstream is slower than timeout_ms", "[errors]") {
  Upstream up;
  RawUpstream silent(RawUpstream::Mode::silent);
  Service svc;
  auto r = fetch_one(svc.port(), up.url("/delay?ms=3000"), {{"timeout_ms", 300}});
  CHECK(r["ok"] == false);
  CHECK(r["error"] == "timeout");
  CHECK(r["status"].is_null());
  CHECK(r["elapsed_ms"].get<double>() >= 290);
  CHECK(r["elapsed_ms"].get<double>() < 1500);

  // An upstream that accepts and never writes: the same, and its connection is closed.
  r = fetch_one(svc.port(), silent.url(), {{"timeout_ms", 300}});
  CHECK(r["error"] == "timeout");
  CHECK(r["elapsed_ms"].get<double>() < 1500);
  CHECK(eventually([&] { return silent.open_connections() == 0; }, std::chrono::seconds(2)));
  CHECK(svc.stop() == 0);
}

TEST_CASE("fetch errors: too_large when the body passes max_body_bytes", "[errors]") {
  Upstream up;
  Service svc({.flags = {"--max_body_bytes=1000"}});
  auto r = fetch_one(svc.port(), up.url("/bytes?n=5000"));
  CHECK(r["ok"] == false);
  CHECK(r["error"] == "too_large");
  CHECK(r["status"] == 200);  // the status is kept
  CHECK(r["bytes"] == 1000);
  // Exactly at the limit is fine.
  r = fetch_one(svc.port(), up.url("/bytes?n=1000"));
  CHECK(r["ok"] == true);
  CHECK(r["error"].is_null());
  CHECK(r["bytes"] == 1000);
  CHECK(svc.stop() == 0);
}

TEST_CASE("fetch errors: protocol_error for garbage, a reset mid-response and a redirect loop", "[errors]") {
  Upstream up;
  RawUpstream garbage(RawUpstream::Mode::garbage);
  RawUpstream reset(RawUpstream::Mode::reset);
  Service svc;
  auto r = fetch_one(svc.port(), garbage.url());
  CHECK(r["error"] == "protocol_error");
  CHECK(r["ok"] == false);
  CHECK(r["status"].is_null());

  r = fetch_one(svc.port(), reset.url());
  CHECK(r["error"] == "protocol_error");
  CHECK(r["ok"] == false);

  r = fetch_one(svc.port(), up.url("/redirect-loop"));
  CHECK(r["error"] == "protocol_error");
  CHECK(r["ok"] == false);
  CHECK(up.requests() == 6);  // the first try + max_redirects (5) redirects followed, then it gives up
  CHECK(svc.stop() == 0);
}

TEST_CASE("a failing URL never fails the request or the service", "[errors]") {
  Upstream up;
  RawUpstream garbage(RawUpstream::Mode::garbage);
  Service svc({.flags = {"--max_body_bytes=100"}});
  std::vector<std::string> urls = {up.url("/bytes?n=10"), garbage.url(), "nope", up.url("/bytes?n=500"),
                                   "http://127.0.0.1:" + std::to_string(closed_port()) + "/", up.url("/bytes?n=20")};
  auto res = fetch(svc.port(), {{"urls", urls}});
  CHECK(res["results"][0]["ok"] == true);
  CHECK(res["results"][1]["error"] == "protocol_error");
  CHECK(res["results"][2]["error"] == "invalid_url");
  CHECK(res["results"][3]["error"] == "too_large");
  CHECK(res["results"][4]["error"] == "connect_failed");
  CHECK(res["results"][5]["ok"] == true);
  CHECK(res["summary"]["succeeded"] == 2);
  CHECK(res["summary"]["failed"] == 4);
  CHECK(get(svc.port(), "/healthz").status == 200);
  CHECK(svc.stop() == 0);
}
