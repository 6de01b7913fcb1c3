// A client that goes away mid-fan-out: the service cancels that request's
// fetches, so the upstream sees its connections closed long before the work
// would have ended, the permits come back and the books balance.
#include <catch2/catch.hpp>

#include <vector>

#include "client.hpp"
#include "raw_upstream.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;

namespace {

// The request log's lines for POST /fetch.
std::vector<Json> fetch_request_lines(const Service& svc) {
  std::vector<Json> out;
  for (auto& j : svc.log_entries("request"))
    if (j.value("path", "") == "/fetch") out.push_back(std::move(j));
  return out;
}

}  // namespace

TEST_CASE("client disconnect: in-flight fetches are cancelled and their connections closed", "[disconnect]") {
  Upstream up;
  RawUpstream silent(RawUpstream::Mode::silent);
  Service svc({.flags = {"--global_concurrency=4"}});
  {
    // 3 slow bodies (5 s each) and 1 upstream that never answers, 4 at a time,
    // plus 4 more that must never start.
    Json urls = Json::array();
    for (int i = 0; i < 3; ++i) urls.push_back(up.url("/slow-body?ms=5000&i=" + std::to_string(i)));
    urls.push_back(silent.url());
    for (int i = 0; i < 4; ++i) urls.push_back(up.url("/bytes?n=1&later=" + std::to_string(i)));
    RawClient client(svc.port(), {{"urls", urls}, {"concurrency", 4}, {"timeout_ms", 20000}});
    REQUIRE(eventually([&] { return up.in_flight() == 3 && silent.open_connections() == 1; },
                       std::chrono::seconds(5)));
    client.close();
  }
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(eventually([&] { return up.in_flight() == 0 && silent.open_connections() == 0; }, std::chrono::seconds(2)));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));  // far less than the 5 s of work
  CHECK(eventually([&] { return stats(svc.port())["in_flight"] == 0; }, std::chrono::seconds(2)));
  auto s = stats(svc.port());
  CHECK(s["fetches_total"] == 4);  // the 4 waiting URLs never started
  CHECK(s["fetches_failed"] == 4);
  CHECK(s["fetches_succeeded"] == 0);
  CHECK(up.requests() == 3);
  CHECK_THAT(svc.log(), Catch::Contains("client went away"));
  // The request log says that nothing was sent, and why.
  auto lines = fetch_request_lines(svc);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["status"].is_null());
  CHECK(lines[0]["incomplete"] == "client_gone");

  // The permits came back: the whole global_concurrency is available again.
  Json urls = Json::array();
  for (int i = 0; i < 4; ++i) urls.push_back(up.url("/delay?ms=150&after=" + std::to_string(i)));
  up.reset_max();
  auto res = fetch(svc.port(), {{"urls", urls}, {"concurrency", 4}});
  CHECK(res["summary"]["succeeded"] == 4);
  CHECK(up.max_in_flight() == 4);
  CHECK(svc.stop() == 0);
}

TEST_CASE("client disconnect during an NDJSON stream cancels the rest", "[disconnect]") {
  Upstream up;
  Service svc;
  {
    Json urls = {up.url("/bytes?n=1"), up.url("/slow-body?ms=5000"), up.url("/slow-body?ms=5000")};
    RawClient client(svc.port(), {{"urls", urls}, {"concurrency", 3}}, /*ndjson=*/true);
    REQUIRE(eventually([&] { return up.in_flight() == 2; }, std::chrono::seconds(5)));
    // Leave only once the quick URL is done in the service, not just at the upstream.
    REQUIRE(eventually([&] { return stats(svc.port())["fetches_succeeded"] == 1; }, std::chrono::seconds(5)));
    client.close();
  }
  CHECK(eventually([&] { return up.in_flight() == 0; }, std::chrono::seconds(2)));
  CHECK(eventually([&] { return stats(svc.port())["in_flight"] == 0; }, std::chrono::seconds(2)));
  auto s = stats(svc.port());
  CHECK(s["fetches_total"] == 3);
  CHECK(s["fetches_succeeded"] == 1);
  CHECK(s["fetches_failed"] == 2);
  // The log tells the stream's 200 was cut short by the client leaving.
  REQUIRE(eventually([&] { return fetch_request_lines(svc).size() == 1; }, std::chrono::seconds(2)));
  auto line = fetch_request_lines(svc)[0];
  CHECK(line["status"] == 200);
  CHECK(line["incomplete"] == "client_gone");
  CHECK(get(svc.port(), "/healthz").status == 200);
  CHECK(svc.stop() == 0);
}
