// Concurrency bounds, measured at the upstream, and result order.
#include <catch2/catch.hpp>

#include <future>

#include "client.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;

TEST_CASE("a request never has more than its concurrency in flight at the upstream", "[concurrency]") {
  Upstream up;
  Service svc;
  Json urls = Json::array();
  for (int i = 0; i < 12; ++i) urls.push_back(up.url("/delay?ms=500&i=" + std::to_string(i)));
  auto res = fetch(svc.port(), {{"urls", urls}, {"concurrency", 4}});

  CHECK(up.max_in_flight() == 4);  // reached, never passed
  CHECK(up.requests() == 12);
  CHECK(res["summary"]["total"] == 12);
  CHECK(res["summary"]["succeeded"] == 12);
  CHECK(res["summary"]["concurrency"] == 4);
  CHECK(res["summary"]["max_in_flight"] == 4);
  // 12 URLs of 500 ms, 4 at a time: three waves (1.5 s), not one, not twelve (6 s).
  CHECK(res["summary"]["elapsed_ms"].get<double>() >= 1450);
  CHECK(res["summary"]["elapsed_ms"].get<double>() < 4000);
  CHECK(svc.stop() == 0);
}

TEST_CASE("global_concurrency bounds fetches across concurrent requests", "[concurrency]") {
  Upstream up;
  Service svc({.flags = {"--global_concurrency=3"}});
  auto one = [&](int r) {
    Json urls = Json::array();
    for (int i = 0; i < 6; ++i) urls.push_back(up.url("/delay?ms=150&r=" + std::to_string(r)));
    return fetch(svc.port(), {{"urls", urls}, {"concurrency", 4}});
  };
  auto a = std::async(std::launch::async, one, 1);
  auto b = std::async(std::launch::async, one, 2);
  auto ra = a.get();
  auto rb = b.get();

  CHECK(up.max_in_flight() == 3);  // 2 requests x 4 wanted, 3 allowed service-wide
  CHECK(up.requests() == 12);
  CHECK(ra["summary"]["succeeded"] == 6);
  CHECK(rb["summary"]["succeeded"] == 6);
  auto s = stats(svc.port());
  CHECK(s["max_in_flight"] == 3);
  CHECK(s["in_flight"] == 0);
  CHECK(svc.stop() == 0);
}

TEST_CASE("results come in input order, whatever order they complete in", "[concurrency]") {
  Upstream up;
  Service svc;
  std::vector<std::string> in = {up.url("/delay?ms=300"), up.url("/bytes?n=7"), up.url("/delay?ms=150"),
                                 up.url("/status?code=404"), "not a url", up.url("/bytes?n=1")};
  auto res = fetch(svc.port(), {{"urls", in}, {"concurrency", 6}});
  REQUIRE(res["results"].size() == in.size());
  for (std::size_t i = 0; i < in.size(); ++i) CHECK(res["results"][i]["url"] == in[i]);
  CHECK(res["results"][1]["bytes"] == 7);
  CHECK(res["results"][3]["status"] == 404);
  CHECK(res["results"][3]["ok"] == false);
  CHECK(res["results"][3]["error"].is_null());  // a response arrived: not an error, just not ok
  CHECK(res["results"][4]["error"] == "invalid_url");
  CHECK(res["results"][5]["bytes"] == 1);
  CHECK(res["summary"]["succeeded"] == 4);
  CHECK(res["summary"]["failed"] == 2);
  CHECK(svc.stop() == 0);
}
