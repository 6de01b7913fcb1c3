// Forward proxies, end to end: https through CONNECT, http in absolute form,
// Basic proxy credentials, refusals as connect_failed, the egress policy on
// the target before the proxy is asked, and the environment's variables.
#include <catch2/catch.hpp>

#include <algorithm>

#include "client.hpp"
#include "forward_proxy.hpp"
#include "service_process.hpp"
#include "tls_certs.hpp"
#include "upstream.hpp"

using namespace it;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("proxy: https goes through CONNECT, with TLS to the target inside the tunnel", "[proxy]") {
  const auto& pki = test_pki();
  Upstream up(pki.server);
  ForwardProxy proxy;
  Service svc({.flags = {"--ca_file=" + pki.ca, "--proxy=" + proxy.url()}});
  auto res = fetch(svc.port(), {{"urls", {up.url("/bytes?n=12"), up.url("/bytes?n=3", "localhost")}},
                                {"include_body", true}});
  CHECK(res["results"][0]["ok"] == true);
  CHECK(res["results"][0]["body"] == std::string(12, 'x'));
  CHECK(res["results"][1]["ok"] == true);
  const auto p = std::to_string(up.port());
  const auto seen = proxy.requests();
  // The target is named as the client wrote it: the proxy resolves it again.
  CHECK(std::count(seen.begin(), seen.end(), "CONNECT 127.0.0.1:" + p + " HTTP/1.1") >= 1);
  CHECK(std::count(seen.begin(), seen.end(), "CONNECT localhost:" + p + " HTTP/1.1") >= 1);
  CHECK(up.requests() == 2);
  CHECK(svc.stop() == 0);
}

TEST_CASE("proxy: http goes in absolute form, with the proxy's Basic credentials for the proxy only", "[proxy]") {
  Upstream up;
  ForwardProxy proxy(ForwardProxy::Mode::auth, "Basic YWxpY2U6czNjcmV0");  // alice:s3cret
  Service svc({.flags = {"--proxy=" + proxy.url("alice:s3cret")}});
  auto r = fetch_one(svc.port(), up.url("/headers"), {{"include_body", true}});
  REQUIRE(r["ok"] == true);
  const auto headers = Json::parse(r["body"].get<std::string>());
  CHECK(headers["host"] == "127.0.0.1:" + std::to_string(up.port()));
  CHECK_FALSE(headers.contains("proxy-authorization"));
  REQUIRE(proxy.requests().size() == 1);
  CHECK(proxy.requests()[0] == "GET " + up.url("/headers") + " HTTP/1.1");
  CHECK(proxy.authorizations()[0] == "Basic YWxpY2U6czNjcmV0");
  CHECK_FALSE(contains(svc.log(), "s3cret"));  // masked wherever the proxy is named
  CHECK(svc.stop() == 0);
}

TEST_CASE("proxy: a refusal (403, 407) is connect_failed with the proxy's status in the log", "[proxy]") {
  const auto& pki = test_pki();
  Upstream up(pki.server);
  {
    ForwardProxy proxy(ForwardProxy::Mode::refuse);
    Service svc({.flags = {"--ca_file=" + pki.ca, "--proxy=" + proxy.url()}});
    auto r = fetch_one(svc.port(), up.url("/bytes?n=1"));
    CHECK(r["ok"] == false);
    CHECK(r["error"] == "connect_failed");
    CHECK(r["status"].is_null());
    CHECK(contains(svc.log(), "refused CONNECT: 403 Forbidden"));
    CHECK(svc.stop() == 0);
  }
  {
    ForwardProxy proxy(ForwardProxy::Mode::auth, "Basic YWxpY2U6czNjcmV0");
    Service svc({.flags = {"--ca_file=" + pki.ca, "--proxy=" + proxy.url("alice:wrong")}});
    auto r = fetch_one(svc.port(), up.url("/bytes?n=1"));
    CHECK(r["error"] == "connect_failed");
    CHECK(contains(svc.log(), "refused CONNECT: 407 Proxy Authentication Required"));
    CHECK(contains(svc.log(), "http://alice:***@127.0.0.1:" + std::to_string(proxy.port())));
    CHECK_FALSE(contains(svc.log(), "alice:wrong"));
    CHECK(svc.stop() == 0);
  }
  CHECK(up.requests() == 0);
}

TEST_CASE("proxy: garbage or silence in answer to CONNECT ends the fetch within the connect timeout", "[proxy]") {
  const auto& pki = test_pki();
  Upstream up(pki.server);
  for (auto mode : {ForwardProxy::Mode::garbage, ForwardProxy::Mode::silent}) {
    ForwardProxy proxy(mode);
    Service svc({.flags = {"--ca_file=" + pki.ca, "--proxy=" + proxy.url(), "--connect_timeout_ms=300"}});
    auto r = fetch_one(svc.port(), up.url("/bytes?n=1"), {{"timeout_ms", 5000}});
    CHECK(r["error"] == "connect_failed");
    CHECK(r["elapsed_ms"].get<double>() < 2000);
    CHECK(svc.stop() == 0);
  }
  CHECK(up.requests() == 0);
}

TEST_CASE("proxy: a target the egress policy blocks never reaches the proxy", "[proxy][egress]") {
  Upstream up;
  ForwardProxy proxy;
  // Loopback targets are blocked here; the proxy on loopback is the operator's choice and is used.
  Service svc({.flags = {"--proxy=" + proxy.url(), "--resolve={\"internal.test\":[\"10.1.2.3\"]}"},
               .allow_loopback = false});
  auto res = fetch(svc.port(), {{"urls", {up.url("/bytes?n=1"), "http://10.0.0.1/", "https://169.254.169.254/",
                                          "http://internal.test/", "http://[::1]:8080/"}}});
  for (const auto& r : res["results"]) {
    INFO(r.dump());
    CHECK(r["error"] == "blocked");
  }
  CHECK(proxy.accepted() == 0);
  CHECK(up.requests() == 0);
  CHECK(svc.stop() == 0);
}

TEST_CASE("proxy: HTTP_PROXY and HTTPS_PROXY from the environment, NO_PROXY honoured", "[proxy]") {
  const auto& pki = test_pki();
  Upstream plain;
  Upstream secure(pki.server);
  ForwardProxy proxy;
  Service svc({.flags = {"--ca_file=" + pki.ca},
               .env = {"http_proxy=" + proxy.url(), "HTTPS_PROXY=" + proxy.url(), "NO_PROXY=localhost"}});
  auto res = fetch(svc.port(), {{"urls",
                                 {plain.url("/bytes?n=1"), secure.url("/bytes?n=1"), plain.url("/bytes?n=1", "localhost"),
                                  secure.url("/bytes?n=1", "localhost")}}});
  for (const auto& r : res["results"]) CHECK(r["ok"] == true);
  const auto seen = proxy.requests();
  REQUIRE(seen.size() == 2);  // the localhost ones went direct
  CHECK(std::count(seen.begin(), seen.end(), "GET " + plain.url("/bytes?n=1") + " HTTP/1.1") == 1);
  CHECK(std::count(seen.begin(), seen.end(), "CONNECT 127.0.0.1:" + std::to_string(secure.port()) + " HTTP/1.1") == 1);
  CHECK(svc.stop() == 0);

  // "none" turns the environment's proxies off.
  Service direct({.flags = {"--ca_file=" + pki.ca, "--proxy=none"}, .env = {"HTTPS_PROXY=" + proxy.url()}});
  CHECK(fetch_one(direct.port(), secure.url("/bytes?n=1"))["ok"] == true);
  CHECK(proxy.requests().size() == 2);
  CHECK(direct.stop() == 0);
}

TEST_CASE("proxy: a bad proxy variable stops start-up with exit code 2 naming it", "[proxy][config]") {
  Service svc({.env = {"HTTPS_PROXY=socks5://127.0.0.1:1080"}, .wait_healthy = false});
  CHECK(svc.wait_exit(std::chrono::seconds(10)) == 2);
  CHECK(contains(svc.log(), "\"HTTPS_PROXY\": must be an http:// proxy (socks5:// proxies are not supported)"));
  Service svc2({.env = {"NO_PROXY=exa mple.com"}, .wait_healthy = false});
  CHECK(svc2.wait_exit(std::chrono::seconds(10)) == 2);
  CHECK(contains(svc2.log(), "\"NO_PROXY\": has an invalid entry"));
}
