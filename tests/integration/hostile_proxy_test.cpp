// Hostile forward proxies in front of https targets: a refusal, garbage or
// silence in answer to CONNECT, 200 and then bytes that are not TLS, 200 with
// bytes glued to it, a tunnel cut in the middle of the response. Each fetch
// ends with its code well within its timeout, the service closes its end,
// nothing leaks (check_recovered, over plain http without a proxy), and the
// same proxy, healthy again, carries the next https fetch: no broken
// connection was kept.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "client.hpp"
#include "forward_proxy.hpp"
#include "recovery.hpp"
#include "service_process.hpp"
#include "test_encoders.hpp"
#include "tls_certs.hpp"
#include "upstream.hpp"

using namespace it;
namespace test = asyncfetch::test;

namespace {

// Long enough that "judged at once" (under half of it) holds on a loaded machine.
constexpr int connect_timeout_ms = 2000;
constexpr double at_once_ms = connect_timeout_ms / 2.0;

// The service with the proxy for https targets only: plain http goes direct,
// which is how check_recovered reaches its upstream.
Service service_behind(const ForwardProxy& proxy, const std::string& ca) {
  return Service({.flags = {"--ca_file=" + ca, hostile_global_flag,
                            "--connect_timeout_ms=" + std::to_string(connect_timeout_ms)},
                  .env = {"HTTPS_PROXY=" + proxy.url()}});
}

// The proxy turns healthy: an https fetch through it works.
void check_relays_again(ForwardProxy& proxy, const Service& svc, const Upstream& secure) {
  proxy.set_mode(ForwardProxy::Mode::relay);
  auto r = fetch_one(svc.port(), secure.url("/bytes?n=7"), {{"include_body", true}});
  INFO(r.dump());
  CHECK(r["ok"] == true);
  CHECK(r["body"] == "xxxxxxx");
}

}  // namespace

TEST_CASE("hostile proxy: each bad answer to CONNECT ends with its code, fast, and nothing leaks",
          "[proxy][hostile-proxy]") {
  const auto& pki = test_pki();
  Upstream secure(pki.server);
  Upstream plain;
  struct Case {
    ForwardProxy::Mode mode;
    const char* what;
    const char* error;
    double min_ms, max_ms;  // silence is cut at connect_timeout_ms; the rest are judged at once
  };
  const Case cases[] = {
      {ForwardProxy::Mode::refuse, "403 to CONNECT", "connect_failed", 0, at_once_ms},
      {ForwardProxy::Mode::garbage, "garbage instead of an answer", "connect_failed", 0, at_once_ms},
      {ForwardProxy::Mode::silent, "never answers", "connect_failed", connect_timeout_ms * 0.9, connect_timeout_ms * 2.5},
      {ForwardProxy::Mode::tls_garbage, "200, then garbage instead of TLS", "tls_failed", 0, at_once_ms},
      {ForwardProxy::Mode::eager, "200 with bytes glued to it", "protocol_error", 0, at_once_ms},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    ForwardProxy proxy(c.mode);
    Service svc = service_behind(proxy, pki.ca);
    auto r = fetch_one(svc.port(), secure.url("/bytes?n=1"), {{"timeout_ms", 10000}});
    INFO(r.dump());
    std::printf("hostile proxy, %s: error %s, status %s, %.0f ms\n", c.what, r["error"].dump().c_str(),
                r["status"].dump().c_str(), r["elapsed_ms"].get<double>());
    CHECK(r["error"] == c.error);
    CHECK(r["status"].is_null());
    CHECK(r["attempts"] == 1);
    CHECK(r["elapsed_ms"].get<double>() >= c.min_ms);
    CHECK(r["elapsed_ms"].get<double>() < c.max_ms);
    CHECK(eventually([&] { return proxy.closed_by_client() == 1; }, std::chrono::seconds(5)));
    check_recovered(svc, plain, hostile_global);
    check_relays_again(proxy, svc, secure);
    CHECK(svc.stop() == 0);
  }
  CHECK(secure.requests() == static_cast<long>(std::size(cases)));  // only the healthy fetches reached it
}

TEST_CASE("hostile proxy: a tunnel cut in the middle of the body is protocol_error with the status kept",
          "[proxy][hostile-proxy]") {
  const auto& pki = test_pki();
  Upstream secure(pki.server);
  Upstream plain;
  const std::size_t body_bytes = 256 * 1024;
  secure.canned("/canned/big", test::sample_body(body_bytes));  // octet-stream: not compressed
  ForwardProxy proxy(ForwardProxy::Mode::cut);
  proxy.cut_after(64 * 1024);  // the handshake and the head are a few KiB: this is inside the body
  Service svc = service_behind(proxy, pki.ca);
  auto r = fetch_one(svc.port(), secure.url("/canned/big"), {{"timeout_ms", 10000}});
  INFO(r.dump());
  std::printf("hostile proxy, tunnel cut after 64 KiB of a 256 KiB body: error %s, status %s, bytes %s, %.0f ms\n",
              r["error"].dump().c_str(), r["status"].dump().c_str(), r["bytes"].dump().c_str(),
              r["elapsed_ms"].get<double>());
  CHECK(r["error"] == "protocol_error");
  CHECK(r["status"] == 200);
  CHECK(r["bytes"].get<std::size_t>() > 32 * 1024);
  CHECK(r["bytes"].get<std::size_t>() < 64 * 1024);
  CHECK(r["attempts"] == 1);
  CHECK(r["elapsed_ms"].get<double>() < 2000);
  check_recovered(svc, plain, hostile_global);
  check_relays_again(proxy, svc, secure);
  auto whole = fetch_one(svc.port(), secure.url("/canned/big"));
  CHECK(whole["ok"] == true);
  CHECK(whole["bytes"] == body_bytes);
  CHECK(svc.stop() == 0);
}
