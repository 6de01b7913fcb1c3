// Static resolution (`resolve`) and Happy Eyeballs, end to end: a name the
// map holds is fetched at its addresses with Host kept, the egress policy
// still judges them, and a name whose first address drops SYNs (IPv6, where
// the machine has it) answers over the next one after the stagger instead of
// after the connect timeout.
#include <catch2/catch.hpp>

#include "client.hpp"
#include "raw_upstream.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;

namespace {

// A name whose first address drops SYNs: the next one is tried after the
// stagger and answers, long before the connect timeout.
void check_stagger(const std::string& black_hole_address, const std::string& allow) {
  Upstream up;  // 127.0.0.1:P
  FullBacklog black_hole(black_hole_address, up.port());  // accepts nothing on the same port
  Service svc({.flags = {"--allow_cidrs=" + allow, "--connect_timeout_ms=5000", "--happy_eyeballs_delay_ms=200",
                         R"(--resolve={"dual.test":[")" + black_hole_address + R"(","127.0.0.1"]})"},
               .allow_loopback = false});
  const std::string url = "http://dual.test:" + std::to_string(up.port()) + "/bytes?n=5";
  auto r = fetch_one(svc.port(), url, {{"timeout_ms", 8000}});
  CHECK(r["ok"] == true);
  CHECK(r["bytes"] == 5);
  // The first address, then the second after the 200 ms stagger: far below the 5 s connect timeout.
  CHECK(r["elapsed_ms"].get<double>() >= 190);
  CHECK(r["elapsed_ms"].get<double>() < 2500);
  CHECK(up.requests() == 1);
  CHECK(svc.stop() == 0);
}

bool ipv6_loopback() {
  try {
    FullBacklog probe("::1");
    return true;
  } catch (const std::exception&) {
    return false;  // e.g. a container without IPv6
  }
}

}  // namespace

TEST_CASE("resolve: a mapped name is fetched at its addresses, with the name as Host", "[resolve]") {
  Upstream up;
  Service svc({.flags = {R"(--resolve={"API.Internal.test":["127.0.0.1"],"blocked.test":["10.0.0.1"]})"}});
  const auto p = std::to_string(up.port());
  auto r = fetch_one(svc.port(), "http://api.internal.test:" + p + "/headers", {{"include_body", true}});
  REQUIRE(r["ok"] == true);
  CHECK(Json::parse(r["body"].get<std::string>())["host"] == "api.internal.test:" + p);
  // The addresses are still the egress policy's to judge.
  CHECK(fetch_one(svc.port(), "http://blocked.test:" + p + "/")["error"] == "blocked");
  CHECK(up.requests() == 1);
  CHECK(svc.stop() == 0);
}

TEST_CASE("resolve: bad maps stop start-up with exit code 2 naming the key", "[resolve][config]") {
  for (const char* bad : {R"(--resolve={"a.test":[]})", R"(--resolve={"a.test":["not-an-ip"]})",
                          R"(--resolve={"127.0.0.1":["127.0.0.1"]})", R"(--resolve=["a.test"])", "--resolve=a.test"}) {
    INFO(bad);
    Service svc({.flags = {bad}, .wait_healthy = false});
    CHECK(svc.wait_exit(std::chrono::seconds(10)) == 2);
    CHECK(svc.log().find("\"resolve\"") != std::string::npos);
  }
}

TEST_CASE("Happy Eyeballs: an address that drops SYNs costs the stagger, not the connect timeout", "[resolve]") {
  check_stagger("127.0.0.2", "127.0.0.0/8");

  // Only one address listed: no stagger at all.
  Upstream up;
  Service direct({.flags = {R"(--resolve={"v4.test":["127.0.0.1"]})"}});
  auto r = fetch_one(direct.port(), "http://v4.test:" + std::to_string(up.port()) + "/bytes?n=5");
  CHECK(r["ok"] == true);
  CHECK(r["elapsed_ms"].get<double>() < 150);
  CHECK(direct.stop() == 0);
}

TEST_CASE("Happy Eyeballs: IPv6 first, a dead IPv6 route costs the stagger", "[resolve]") {
  // Needs an IPv6 loopback, which some containers lack (the family order
  // itself is unit-tested in address_order_test).
  if (!ipv6_loopback()) {
    WARN("no IPv6 loopback here: the IPv6 case is not run");
    return;
  }
  check_stagger("::1", "127.0.0.0/8,::1/128");
}

TEST_CASE("Happy Eyeballs: a refused first address moves on at once", "[resolve]") {
  Upstream up;
  // Nothing listens on [::1]:P: refused at once, so IPv4 starts without waiting out the stagger.
  Service svc({.flags = {"--allow_cidrs=127.0.0.0/8,::1/128", "--happy_eyeballs_delay_ms=3000",
                         R"(--resolve={"dual.test":["::1","127.0.0.1"]})"},
               .allow_loopback = false});
  auto r = fetch_one(svc.port(), "http://dual.test:" + std::to_string(up.port()) + "/bytes?n=1");
  CHECK(r["ok"] == true);
  CHECK(r["elapsed_ms"].get<double>() < 1500);
  CHECK(svc.stop() == 0);
}
