#include "recovery.hpp"

#include <catch2/catch.hpp>

#include "client.hpp"

namespace it {

void check_recovered(const Service& svc, Upstream& up, int global_concurrency) {
  CHECK(eventually([&] { return stats(svc.port())["in_flight"] == 0; }, std::chrono::seconds(5)));
  CHECK(get(svc.port(), "/healthz").status == 200);
  REQUIRE(eventually([&] { return up.in_flight() == 0; }, std::chrono::seconds(5)));
  up.reset_max();
  Json urls = Json::array();
  // Each answers once all of them are in flight at once (or after 10 s):
  // a permit held by a dead fetch shows as fewer, whatever the machine's speed.
  const std::string meet = "/meet?n=" + std::to_string(global_concurrency) + "&recovery=";
  for (int i = 0; i < global_concurrency; ++i) urls.push_back(up.url(meet + std::to_string(i)));
  auto res = fetch(svc.port(), {{"urls", urls}, {"concurrency", global_concurrency}});
  CHECK(res["summary"]["succeeded"] == global_concurrency);
  CHECK(up.max_in_flight() == global_concurrency);
  CHECK(stats(svc.port())["in_flight"] == 0);
}

}  // namespace it
