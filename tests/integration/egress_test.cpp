// The egress policy, end to end: internal addresses are blocked before any
// connection is made. With loopback not allowed, the upstream on 127.0.0.1
// must not see a single connection, whatever spelling the URL uses.
#include <catch2/catch.hpp>

#include "client.hpp"
#include "raw_upstream.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;

TEST_CASE("internal addresses are blocked even when loopback is allowed", "[egress]") {
  Service svc;  // --allow_cidrs 127.0.0.0/8 only
  std::vector<std::string> urls = {"http://10.0.0.1/",         "http://169.254.169.254/latest/meta-data/",
                                   "http://192.168.1.1:8080/", "http://100.64.0.1/",
                                   "http://[fe80::1]/",        "http://0.0.0.0/",
                                   "http://[::ffff:10.0.0.1]/"};
  auto res = fetch(svc.port(), {{"urls", urls}, {"timeout_ms", 2000}});
  for (std::size_t i = 0; i < urls.size(); ++i) {
    INFO(urls[i]);
    CHECK(res["results"][i]["error"] == "blocked");
    CHECK(res["results"][i]["status"].is_null());
    // Decided before connecting: no connect timeout was waited for.
    CHECK(res["results"][i]["elapsed_ms"].get<double>() < 200);
  }
  CHECK(svc.stop() == 0);
}

TEST_CASE("loopback in every spelling is blocked when not allowed, without a connection", "[egress]") {
  Upstream up;
  RawUpstream raw(RawUpstream::Mode::silent);
  Service svc({.flags = {}, .allow_loopback = false});
  const std::string p = std::to_string(up.port());
  std::vector<std::string> urls = {
      "http://127.0.0.1:" + p + "/bytes?n=1",       "http://localhost:" + p + "/bytes?n=1",
      "http://[::ffff:127.0.0.1]:" + p + "/",       "http://2130706433:" + p + "/",
      "http://127.1:" + p + "/",                    "http://0x7f.0.0.1:" + p + "/",
      "http://0177.0.0.1:" + p + "/",               "http://[::1]:" + p + "/",
      "http://127.0.0.2:" + std::to_string(raw.port()) + "/",
      raw.url(),
  };
  auto res = fetch(svc.port(), {{"urls", urls}, {"timeout_ms", 2000}});
  for (std::size_t i = 0; i < urls.size(); ++i) {
    INFO(urls[i]);
    CHECK(res["results"][i]["error"] == "blocked");
    CHECK(res["results"][i]["ok"] == false);
  }
  CHECK(up.requests() == 0);
  CHECK(raw.accepted() == 0);  // not even a TCP connection
  CHECK(svc.stop() == 0);
}

TEST_CASE("a redirect to an internal address is blocked on the hop", "[egress]") {
  Upstream up;
  Service svc;
  auto res = fetch(svc.port(), {{"urls", {up.url("/redirect?to=http%3A%2F%2F169.254.169.254%2Flatest")}}});
  CHECK(res["results"][0]["error"] == "blocked");
  CHECK(res["results"][0]["ok"] == false);
  CHECK(up.requests() == 1);
  CHECK(svc.stop() == 0);
}
