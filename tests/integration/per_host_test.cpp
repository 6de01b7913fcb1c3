// Per-origin limits, measured at the upstreams: a request's per_host_concurrency
// and the service's global_per_host_concurrency cap what each origin gets,
// while the origins are fetched side by side.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>

#include "client.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;

namespace {

// Samples two upstreams' in-flight counts every millisecond while it lives:
// the most the two had in flight at one moment, and whether both were busy at once.
class BothBusy {
 public:
  BothBusy(const Upstream& a, const Upstream& b)
      : thread_([this, &a, &b] {
          while (!stop_) {
            const int x = a.in_flight(), y = b.in_flight();
            if (x > 0 && y > 0) both_ = true;
            peak_sum_ = std::max(peak_sum_.load(), x + y);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }) {}
  ~BothBusy() { finish(); }
  void finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  bool both() const { return both_; }
  int peak_sum() const { return peak_sum_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> both_{false};
  std::atomic<int> peak_sum_{0};
  std::thread thread_;
};

// `n` URLs of each upstream, alternating: a0 b0 a1 b1 ...
Json interleaved(const Upstream& a, const Upstream& b, int n, int ms) {
  Json urls = Json::array();
  for (int i = 0; i < n; ++i) {
    urls.push_back(a.url("/delay?ms=" + std::to_string(ms) + "&i=" + std::to_string(i)));
    urls.push_back(b.url("/delay?ms=" + std::to_string(ms) + "&i=" + std::to_string(i)));
  }
  return urls;
}

}  // namespace

TEST_CASE("per_host_concurrency caps each origin, both origins busy at once", "[per_host]") {
  Upstream a, b;
  Service svc;
  BothBusy sampler(a, b);
  auto res = fetch(svc.port(), {{"urls", interleaved(a, b, 8, 300)}, {"concurrency", 8}, {"per_host_concurrency", 2}});
  sampler.finish();

  CHECK(a.max_in_flight() == 2);  // reached, never passed
  CHECK(b.max_in_flight() == 2);
  CHECK(a.requests() == 8);
  CHECK(b.requests() == 8);
  CHECK(sampler.both());
  CHECK(sampler.peak_sum() == 4);
  CHECK(res["summary"]["succeeded"] == 16);
  CHECK(res["summary"]["max_in_flight"] == 4);
  // 8 URLs of 300 ms per origin, 2 at a time, the origins side by side: 1.2 s,
  // not 2.4 s (one origin after the other).
  CHECK(res["summary"]["elapsed_ms"].get<double>() >= 1150);
  CHECK(res["summary"]["elapsed_ms"].get<double>() < 2300);
  CHECK(svc.stop() == 0);
}

TEST_CASE("default_per_host_concurrency applies when the request names none", "[per_host]") {
  Upstream a, b;
  Service svc({.flags = {"--default_per_host_concurrency=3"}});
  auto res = fetch(svc.port(), {{"urls", interleaved(a, b, 6, 200)}, {"concurrency", 10}});
  CHECK(a.max_in_flight() == 3);
  CHECK(b.max_in_flight() == 3);
  CHECK(res["summary"]["max_in_flight"] == 6);
  // The request may ask for more than the default.
  a.reset_max();
  b.reset_max();
  res = fetch(svc.port(), {{"urls", interleaved(a, b, 6, 200)}, {"concurrency", 10}, {"per_host_concurrency", 5}});
  CHECK(a.max_in_flight() == 5);
  CHECK(b.max_in_flight() == 5);
  CHECK(res["summary"]["max_in_flight"] == 10);
  CHECK(svc.stop() == 0);
}

TEST_CASE("an origin at its cap does not hold up the URLs of another", "[per_host]") {
  Upstream slow, fast;
  Service svc;
  // The slow origin's URLs come first; one at a time each, the fast origin's
  // must all be done long before the slow one's second.
  Json urls = Json::array();
  for (int i = 0; i < 4; ++i) urls.push_back(slow.url("/delay?ms=1500&i=" + std::to_string(i)));
  for (int i = 0; i < 6; ++i) urls.push_back(fast.url("/delay?ms=50&i=" + std::to_string(i)));
  auto streamed = fetch_ndjson(svc.port(), {{"urls", urls}, {"concurrency", 4}, {"per_host_concurrency", 1}});
  REQUIRE(streamed.status == 200);
  REQUIRE(streamed.lines.size() == 11);
  int fast_done = 0;
  for (const auto& line : streamed.lines) {
    if (!line.json.contains("url")) continue;
    if (line.json["url"].get<std::string>().find(":" + std::to_string(fast.port()) + "/") == std::string::npos) continue;
    CHECK(line.json["ok"] == true);
    CHECK(line.at < std::chrono::milliseconds(1400));  // before the slow origin's first answer
    ++fast_done;
  }
  CHECK(fast_done == 6);
  CHECK(slow.max_in_flight() == 1);
  CHECK(fast.max_in_flight() == 1);
  CHECK(svc.stop() == 0);
}

TEST_CASE("global_per_host_concurrency caps an origin across concurrent requests", "[per_host]") {
  Upstream a, b;
  Service svc({.flags = {"--global_per_host_concurrency=2"}});
  BothBusy sampler(a, b);
  auto only_a = std::async(std::launch::async, [&] {
    Json urls = Json::array();
    for (int i = 0; i < 6; ++i) urls.push_back(a.url("/delay?ms=250&r=1&i=" + std::to_string(i)));
    return fetch(svc.port(), {{"urls", urls}, {"concurrency", 4}});
  });
  auto both = std::async(std::launch::async,
                         [&] { return fetch(svc.port(), {{"urls", interleaved(a, b, 6, 250)}, {"concurrency", 4}}); });
  auto ra = only_a.get();
  auto rb = both.get();
  sampler.finish();

  CHECK(a.max_in_flight() == 2);  // 2 requests wanting 4 each, 2 allowed for the origin
  CHECK(b.max_in_flight() == 2);
  CHECK(a.requests() == 12);
  CHECK(b.requests() == 6);
  CHECK(sampler.both());  // b's URLs went on while a's waited for a's permits
  CHECK(ra["summary"]["succeeded"] == 6);
  CHECK(rb["summary"]["succeeded"] == 12);
  auto s = stats(svc.port());
  CHECK(s["in_flight"] == 0);
  CHECK(s["max_in_flight"].get<int>() <= 4);
  CHECK(s["fetches_total"] == 18);
  CHECK(svc.stop() == 0);
}

TEST_CASE("global_per_host_concurrency with one origin: the cap held, in input order", "[per_host]") {
  Upstream a;
  Service svc({.flags = {"--global_per_host_concurrency=3"}});
  Json urls = Json::array();
  for (int i = 0; i < 9; ++i) urls.push_back(a.url("/delay?ms=200&i=" + std::to_string(i)));
  auto res = fetch(svc.port(), {{"urls", urls}, {"concurrency", 8}});
  CHECK(a.max_in_flight() == 3);
  CHECK(res["summary"]["succeeded"] == 9);
  CHECK(res["summary"]["max_in_flight"] == 3);
  // A URL that does not parse has no origin, and no limit.
  a.reset_max();
  urls.push_back("not a url");
  res = fetch(svc.port(), {{"urls", urls}, {"concurrency", 8}});
  CHECK(a.max_in_flight() == 3);
  CHECK(res["summary"]["succeeded"] == 9);
  CHECK(res["results"][9]["error"] == "invalid_url");
  CHECK(svc.stop() == 0);
}
