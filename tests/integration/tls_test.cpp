// https upstreams: verified against a test CA made at test time; ok with
// --ca_file, tls_failed without it or when the certificate names another host.
#include <catch2/catch.hpp>

#include "client.hpp"
#include "service_process.hpp"
#include "tls_certs.hpp"
#include "upstream.hpp"

using namespace it;

TEST_CASE("TLS: a certificate from the test CA is trusted with --ca_file, by IP and by name", "[tls]") {
  const auto& pki = test_pki();
  Upstream up(pki.server);
  Service svc({.flags = {"--ca_file=" + pki.ca}});
  auto res = fetch(svc.port(), {{"urls", {up.url("/bytes?n=12"), up.url("/headers", "localhost")}}, {"include_body", true}});
  auto& r = res["results"];
  CHECK(r[0]["ok"] == true);
  CHECK(r[0]["error"].is_null());
  CHECK(r[0]["status"] == 200);
  CHECK(r[0]["body"] == std::string(12, 'x'));
  CHECK(r[1]["ok"] == true);
  CHECK(Json::parse(r[1]["body"].get<std::string>())["host"] == "localhost:" + std::to_string(up.port()));
  CHECK(svc.stop() == 0);
}

TEST_CASE("TLS: tls_failed without the CA, and for a certificate of another host", "[tls]") {
  const auto& pki = test_pki();
  Upstream up(pki.server);
  Upstream wrong(pki.wrong_name);
  {
    Service svc;  // system store only
    auto res = fetch(svc.port(), {{"urls", {up.url("/bytes?n=1")}}});
    CHECK(res["results"][0]["error"] == "tls_failed");
    CHECK(res["results"][0]["status"].is_null());
    CHECK(svc.stop() == 0);
  }
  {
    Service svc({.flags = {"--ca_file=" + pki.ca}});
    auto res = fetch(svc.port(), {{"urls", {wrong.url("/bytes?n=1"), wrong.url("/bytes?n=1", "localhost")}}});
    CHECK(res["results"][0]["error"] == "tls_failed");
    CHECK(res["results"][1]["error"] == "tls_failed");
    CHECK(svc.stop() == 0);
  }
  CHECK(up.requests() == 0);
  CHECK(wrong.requests() == 0);
}

TEST_CASE("TLS: keep-alive reuse and redirects across schemes", "[tls]") {
  const auto& pki = test_pki();
  Upstream tls(pki.server);
  Upstream plain;
  Service svc({.flags = {"--ca_file=" + pki.ca}});
  Json urls = Json::array();
  for (int i = 0; i < 5; ++i) urls.push_back(tls.url("/bytes?n=3&i=" + std::to_string(i)));
  urls.push_back(plain.url("/redirect?to=" + std::string("https%3A%2F%2F127.0.0.1%3A") + std::to_string(tls.port()) +
                           "%2Fbytes%3Fn%3D9"));
  auto res = fetch(svc.port(), {{"urls", urls}, {"concurrency", 1}});
  for (std::size_t i = 0; i < 5; ++i) CHECK(res["results"][i]["ok"] == true);
  CHECK(res["results"][5]["ok"] == true);
  CHECK(res["results"][5]["bytes"] == 9);
  CHECK(svc.stop() == 0);
}
