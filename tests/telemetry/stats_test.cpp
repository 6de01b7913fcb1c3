// Stats: the counters behind the runtime's Lock and their JSON and Prometheus
// renderings. Coroutines run on runtime::run; nothing sleeps.
#include "asyncfetch/telemetry/stats.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "runtime/cancellation.hpp"
#include "runtime/create_task.hpp"
#include "runtime/event.hpp"
#include "runtime/gather.hpp"
#include "runtime/run.hpp"

using asyncfetch::Stats;
using nlohmann::json;

namespace {

// Outcomes as the fetch side names them: a response over HTTP/1.1 (whatever
// its status), and two errors that come without one.
constexpr Stats::Outcome response{"none", "1.1"};
constexpr Stats::Outcome refused{"connect_failed", "none"};
constexpr Stats::Outcome timed_out{"timeout", "none"};

// Prometheus text → {"name{labels}" → value}; comment lines checked for shape.
std::map<std::string, double> parse_prometheus(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    INFO("line: " << line);
    REQUIRE_FALSE(line.empty());
    if (line[0] == '#') {
      CHECK((line.rfind("# HELP asyncfetch_", 0) == 0 || line.rfind("# TYPE asyncfetch_", 0) == 0));
      continue;
    }
    auto sp = line.rfind(' ');
    REQUIRE(sp != std::string::npos);
    std::string name = line.substr(0, sp);
    CHECK(out.count(name) == 0);
    out[name] = std::stod(line.substr(sp + 1));
  }
  return out;
}

runtime::Task<Stats::Snapshot> one_of_each(Stats& stats) {
  stats.request_started();
  stats.request_started();
  stats.request_rejected();
  stats.fetch_started();
  stats.fetch_started();
  stats.fetch_started();
  stats.fetch_finished(true, 100, 3.0, response);
  stats.fetch_finished(false, 7, 20000.0, timed_out);
  co_return co_await stats.snapshot();
}

// Snapshot::finished as (error, http_version, count), to compare whole and print.
using Finished = std::vector<std::tuple<std::string, std::string, std::uint64_t>>;
Finished finished(const Stats::Snapshot& s) {
  Finished out;
  for (const auto& [o, n] : s.finished) out.emplace_back(o.error, o.http_version, n);
  return out;
}

std::uint64_t finished_sum(const Stats::Snapshot& s) {
  std::uint64_t n = 0;
  for (const auto& f : s.finished) n += f.count;
  return n;
}

std::string bucket(const char* le) { return std::string("asyncfetch_fetch_duration_seconds_bucket{le=\"") + le + "\"}"; }

}  // namespace

TEST_CASE("stats: a fresh snapshot is all zeros", "[stats]") {
  Stats stats;
  auto s = runtime::run(stats.snapshot());
  CHECK(s.requests_total == 0);
  CHECK(s.fetches_total == 0);
  CHECK(s.in_flight == 0);
  CHECK(s.max_in_flight == 0);
  CHECK(s.uptime_s >= 0);
  for (auto c : s.latency_counts) CHECK(c == 0);
  auto j = json::parse(Stats::to_json(s));
  CHECK(j["fetches_total"] == 0);
  CHECK(finished(s) == Finished{{"none", "1.1", 0}});
  auto m = parse_prometheus(Stats::to_prometheus(s, false));
  CHECK(m.at(bucket("+Inf")) == 0);
  CHECK(m.at("asyncfetch_fetch_duration_seconds_count") == 0);
  CHECK(m.at("asyncfetch_fetches_finished_total{error=\"none\",http_version=\"1.1\"}") == 0);
  CHECK(m.at("asyncfetch_ready") == 0);
  // The connection series are there from the start, both TLS ones included.
  CHECK(m.at("asyncfetch_upstream_connections_opened_total") == 0);
  CHECK(m.at("asyncfetch_upstream_connections_reused_total") == 0);
  CHECK(m.at("asyncfetch_tls_handshakes_total{resumed=\"false\"}") == 0);
  CHECK(m.at("asyncfetch_tls_handshakes_total{resumed=\"true\"}") == 0);
}

TEST_CASE("stats: upstream connections opened and reused, TLS handshakes by resumption", "[stats]") {
  Stats stats;
  for (int i = 0; i < 3; ++i) stats.connection_opened();
  for (int i = 0; i < 5; ++i) stats.connection_reused();
  stats.tls_handshake(false);
  stats.tls_handshake(false);
  stats.tls_handshake(true);
  auto s = runtime::run(stats.snapshot());
  CHECK(s.connections_opened == 3);
  CHECK(s.connections_reused == 5);
  CHECK(s.tls_handshakes_full == 2);
  CHECK(s.tls_handshakes_resumed == 1);
  const std::string text = Stats::to_prometheus(s, true);
  INFO(text);
  auto m = parse_prometheus(text);
  CHECK(m.at("asyncfetch_upstream_connections_opened_total") == 3);
  CHECK(m.at("asyncfetch_upstream_connections_reused_total") == 5);
  CHECK(m.at("asyncfetch_tls_handshakes_total{resumed=\"false\"}") == 2);
  CHECK(m.at("asyncfetch_tls_handshakes_total{resumed=\"true\"}") == 1);
  CHECK_THAT(text, Catch::Contains("# TYPE asyncfetch_tls_handshakes_total counter\n"));
  CHECK_THAT(text, Catch::Contains("# TYPE asyncfetch_upstream_connections_opened_total counter\n"));
  // /stats keeps its documented fields only.
  CHECK_FALSE(json::parse(Stats::to_json(s)).contains("connections_opened"));
}

TEST_CASE("stats: counters", "[stats]") {
  Stats stats;
  auto s = runtime::run(one_of_each(stats));
  CHECK(s.requests_total == 2);
  CHECK(s.rejected_total == 1);
  CHECK(s.fetches_total == 3);
  CHECK(s.fetches_succeeded == 1);
  CHECK(s.fetches_failed == 1);
  CHECK(s.in_flight == 1);
  CHECK(s.max_in_flight == 3);
  CHECK(s.bytes_total == 107);
  CHECK(s.fetches_total == s.fetches_succeeded + s.fetches_failed + s.in_flight);
  CHECK(s.latency_sum_s == Approx(20.003));
  CHECK(finished(s) == Finished{{"none", "1.1", 1}, {"timeout", "none", 1}});
}

TEST_CASE("stats: finished fetches are counted per outcome, in order of error then HTTP version", "[stats]") {
  Stats stats;
  auto body = [&stats]() -> runtime::Task<Stats::Snapshot> {
    // Label values from strings of static storage, as the contract asks, but
    // not the test's constants: outcomes are told apart by value.
    static const std::string timeout = "timeout", none = "none", v11 = "1.1";
    for (Stats::Outcome o : {timed_out, response, refused, Stats::Outcome{"too_large", "1.1"}, response,
                             Stats::Outcome{timeout, none}, Stats::Outcome{"timeout", v11}, Stats::Outcome{none, v11}}) {
      stats.fetch_started();
      stats.fetch_finished(o == response, 0, 1.0, o);
    }
    co_return co_await stats.snapshot();
  };
  const auto s = runtime::run(body());
  CHECK(finished(s) == Finished{{"connect_failed", "none", 1},
                                {"none", "1.1", 3},
                                {"timeout", "1.1", 1},
                                {"timeout", "none", 2},
                                {"too_large", "1.1", 1}});
  CHECK(finished_sum(s) == s.fetches_succeeded + s.fetches_failed);
}

TEST_CASE("stats: Prometheus lines of the outcomes and of readiness", "[stats]") {
  Stats stats;
  auto body = [&stats]() -> runtime::Task<Stats::Snapshot> {
    for (Stats::Outcome o : {refused, response, timed_out, response}) {
      stats.fetch_started();
      stats.fetch_finished(o == response, 0, 1.0, o);
    }
    co_return co_await stats.snapshot();
  };
  const auto s = runtime::run(body());
  const std::string ready = Stats::to_prometheus(s, true);
  INFO(ready);
  // One HELP and TYPE, then a line per outcome in the snapshot's order.
  CHECK_THAT(ready, Catch::Contains(
                        "# HELP asyncfetch_fetches_finished_total Fetches finished, per error code (none: a response "
                        "came) and HTTP version of the response (none: no response came).\n"
                        "# TYPE asyncfetch_fetches_finished_total counter\n"
                        "asyncfetch_fetches_finished_total{error=\"connect_failed\",http_version=\"none\"} 1\n"
                        "asyncfetch_fetches_finished_total{error=\"none\",http_version=\"1.1\"} 2\n"
                        "asyncfetch_fetches_finished_total{error=\"timeout\",http_version=\"none\"} 1\n"
                        "# HELP asyncfetch_bytes_total "));
  CHECK_THAT(ready, Catch::Contains("# HELP asyncfetch_ready 1 while the service is ready (GET /readyz answers 200), "
                                    "else 0.\n# TYPE asyncfetch_ready gauge\nasyncfetch_ready 1\n"));
  const std::string not_ready = Stats::to_prometheus(s, false);
  CHECK_THAT(not_ready, Catch::Contains("\nasyncfetch_ready 0\n"));
  CHECK_THAT(not_ready, !Catch::Contains("\nasyncfetch_ready 1\n"));
  // The rest is the same whether ready or not.
  CHECK(not_ready.size() == ready.size());
  // Every line parses: a name with its labels, a value, no name twice.
  const auto m = parse_prometheus(ready);
  CHECK(m.at("asyncfetch_fetches_finished_total{error=\"timeout\",http_version=\"none\"}") == 1);
}

TEST_CASE("stats: in_flight goes up and down, max_in_flight keeps the peak", "[stats]") {
  Stats stats;
  auto body = [&stats]() -> runtime::Task<std::vector<Stats::Snapshot>> {
    std::vector<Stats::Snapshot> seen;
    for (int i = 0; i < 4; ++i) stats.fetch_started();
    seen.push_back(co_await stats.snapshot());
    for (int i = 0; i < 3; ++i) stats.fetch_finished(true, 0, 1, response);
    seen.push_back(co_await stats.snapshot());
    stats.fetch_started();
    stats.fetch_started();
    seen.push_back(co_await stats.snapshot());
    for (int i = 0; i < 3; ++i) stats.fetch_finished(i == 0, 0, 1, i == 0 ? response : refused);
    seen.push_back(co_await stats.snapshot());
    co_return seen;
  };
  auto seen = runtime::run(body());
  REQUIRE(seen.size() == 4);
  CHECK(seen[0].in_flight == 4);
  CHECK(seen[0].max_in_flight == 4);
  CHECK(seen[1].in_flight == 1);
  CHECK(seen[1].max_in_flight == 4);
  CHECK(seen[2].in_flight == 3);
  CHECK(seen[2].max_in_flight == 4);
  CHECK(seen[3].in_flight == 0);
  CHECK(seen[3].fetches_succeeded == 4);
  CHECK(seen[3].fetches_failed == 2);
  for (const auto& s : seen) CHECK(s.fetches_total == s.fetches_succeeded + s.fetches_failed + s.in_flight);
}

TEST_CASE("stats: concurrent updates from several threads add up", "[stats]") {
  Stats stats;
  constexpr int kTasks = 64, kFetches = 50;
  auto worker = [&stats](int id) -> runtime::Task<int> {
    for (int i = 0; i < kFetches; ++i) {
      stats.fetch_started();
      const bool ok = (i + id) % 2 == 0;
      stats.fetch_finished(ok, 10, 1.0 * i, ok ? response : refused);
    }
    stats.request_started();
    co_return id;
  };
  auto main = [&]() -> runtime::Task<Stats::Snapshot> {
    std::vector<runtime::Task<int>> tasks;
    for (int t = 0; t < kTasks; ++t) tasks.push_back(worker(t));
    auto ids = co_await runtime::gather(std::move(tasks));
    (void)ids;
    co_return co_await stats.snapshot();
  };
  auto s = runtime::run(main(), 4);
  CHECK(s.requests_total == kTasks);
  CHECK(s.fetches_total == kTasks * kFetches);
  CHECK(s.fetches_succeeded + s.fetches_failed == kTasks * kFetches);
  CHECK(s.fetches_succeeded == kTasks * kFetches / 2);
  CHECK(s.in_flight == 0);
  CHECK(s.max_in_flight >= 1);
  CHECK(s.max_in_flight <= kTasks);
  CHECK(s.bytes_total == 10u * kTasks * kFetches);
  std::uint64_t n = 0;
  for (auto c : s.latency_counts) n += c;
  CHECK(n == kTasks * kFetches);
  CHECK(finished(s) == Finished{{"connect_failed", "none", kTasks * kFetches / 2}, {"none", "1.1", kTasks * kFetches / 2}});
}

TEST_CASE("stats: latency buckets are upper-inclusive, over 10 s goes to +Inf", "[stats]") {
  Stats stats;
  auto body = [&stats]() -> runtime::Task<Stats::Snapshot> {
    for (double ms : {0.0, 5.0, 5.001, 10.0, 99.0, 100.0, 2500.0, 10000.0, 10000.5, 60000.0}) {
      stats.fetch_started();
      stats.fetch_finished(true, 0, ms, response);
    }
    co_return co_await stats.snapshot();
  };
  auto s = runtime::run(body());
  // buckets: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 +Inf
  std::array<std::uint64_t, 12> want = {2, 2, 0, 0, 2, 0, 0, 0, 1, 0, 1, 2};
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO("bucket " << i);
    CHECK(s.latency_counts[i] == want[i]);
  }
}

TEST_CASE("stats: JSON has every documented counter", "[stats]") {
  Stats stats;
  auto s = runtime::run(one_of_each(stats));
  std::string text = Stats::to_json(s);
  CHECK(text.back() == '\n');
  auto j = json::parse(text);
  CHECK(j["requests_total"] == 2);
  CHECK(j["fetches_total"] == 3);
  CHECK(j["fetches_succeeded"] == 1);
  CHECK(j["fetches_failed"] == 1);
  CHECK(j["in_flight"] == 1);
  CHECK(j["max_in_flight"] == 3);
  CHECK(j["bytes_total"] == 107);
  CHECK(j["rejected_total"] == 1);
  CHECK(j["uptime_s"].is_number());
  CHECK(j["fetches_total"].get<std::uint64_t>() == j["fetches_succeeded"].get<std::uint64_t>() +
                                                        j["fetches_failed"].get<std::uint64_t>() +
                                                        j["in_flight"].get<std::uint64_t>());
}

TEST_CASE("stats: Prometheus text with a cumulative histogram", "[stats]") {
  Stats stats;
  auto body = [&stats]() -> runtime::Task<Stats::Snapshot> {
    stats.request_started();
    for (double ms : {1.0, 1.0, 7.0, 30.0, 400.0, 400.0, 400.0, 3000.0, 12000.0}) {
      stats.fetch_started();
      stats.fetch_finished(ms < 10000, 1, ms, ms < 10000 ? response : timed_out);
    }
    stats.fetch_started();  // one still in flight
    co_return co_await stats.snapshot();
  };
  auto s = runtime::run(body());
  std::string text = Stats::to_prometheus(s, true);
  INFO(text);
  CHECK(text.back() == '\n');
  auto m = parse_prometheus(text);

  CHECK(m.at("asyncfetch_requests_total") == 1);
  CHECK(m.at("asyncfetch_fetches_total") == 10);
  CHECK(m.at("asyncfetch_fetches_succeeded_total") == 8);
  CHECK(m.at("asyncfetch_fetches_failed_total") == 1);
  CHECK(m.at("asyncfetch_in_flight") == 1);
  CHECK(m.at("asyncfetch_max_in_flight") == 1);
  CHECK(m.at("asyncfetch_bytes_total") == 9);
  CHECK(m.at("asyncfetch_rejected_total") == 0);
  CHECK(m.count("asyncfetch_uptime_seconds") == 1);
  CHECK(m.at("asyncfetch_fetches_total") ==
        m.at("asyncfetch_fetches_succeeded_total") + m.at("asyncfetch_fetches_failed_total") + m.at("asyncfetch_in_flight"));

  CHECK(m.at(bucket("0.005")) == 2);
  CHECK(m.at(bucket("0.01")) == 3);
  CHECK(m.at(bucket("0.025")) == 3);
  CHECK(m.at(bucket("0.05")) == 4);
  CHECK(m.at(bucket("0.1")) == 4);
  CHECK(m.at(bucket("0.25")) == 4);
  CHECK(m.at(bucket("0.5")) == 7);
  CHECK(m.at(bucket("1")) == 7);
  CHECK(m.at(bucket("2.5")) == 7);
  CHECK(m.at(bucket("5")) == 8);
  CHECK(m.at(bucket("10")) == 8);
  CHECK(m.at(bucket("+Inf")) == 9);
  CHECK(m.at("asyncfetch_fetch_duration_seconds_count") == 9);
  CHECK(m.at("asyncfetch_fetch_duration_seconds_sum") == Approx(16.239));

  // Buckets never decrease, in the order written.
  double last = -1;
  std::istringstream in(text);
  std::string line;
  int buckets = 0;
  while (std::getline(in, line)) {
    if (line.rfind("asyncfetch_fetch_duration_seconds_bucket", 0) != 0) continue;
    double v = std::stod(line.substr(line.rfind(' ') + 1));
    CHECK(v >= last);
    last = v;
    ++buckets;
  }
  CHECK(buckets == 12);

  CHECK(text.find("# TYPE asyncfetch_fetch_duration_seconds histogram\n") != std::string::npos);
  CHECK(text.find("# TYPE asyncfetch_requests_total counter\n") != std::string::npos);
  CHECK(text.find("# TYPE asyncfetch_in_flight gauge\n") != std::string::npos);
}

TEST_CASE("stats: Prometheus values keep their precision", "[stats]") {
  Stats::Snapshot s;
  s.bytes_total = 12345678901234ULL;
  s.latency_sum_s = 1234567.891;
  s.uptime_s = 3456789.25;
  s.latency_counts.back() = 1;
  auto m = parse_prometheus(Stats::to_prometheus(s, true));
  CHECK(m.at("asyncfetch_bytes_total") == 12345678901234.0);
  CHECK(m.at("asyncfetch_fetch_duration_seconds_sum") == Approx(1234567.891).epsilon(1e-12));
  CHECK(m.at("asyncfetch_uptime_seconds") == Approx(3456789.25).epsilon(1e-12));
}

TEST_CASE("stats: every snapshot balances while tasks on several threads count", "[stats]") {
  // Counting takes the Lock when it is free and leaves a backlog when it is
  // not: snapshots, which hold it, meet updates from other threads.
  Stats stats;
  constexpr int kTasks = 32, kFetches = 300;
  std::atomic<int> snapshots{0}, unbalanced{0}, too_many{0};
  auto worker = [&](int id) -> runtime::Task<int> {
    for (int i = 0; i < kFetches; ++i) {
      stats.fetch_started();
      if (i % 10 == id % 10) {
        const auto s = co_await stats.snapshot();
        ++snapshots;
        if (s.fetches_total != s.fetches_succeeded + s.fetches_failed + s.in_flight) ++unbalanced;
        if (finished_sum(s) != s.fetches_succeeded + s.fetches_failed) ++unbalanced;
        if (s.in_flight > kTasks || s.max_in_flight > kTasks) ++too_many;
      }
      stats.fetch_finished(i % 3 != 0, 1, 1.0, i % 3 != 0 ? response : refused);
    }
    co_return id;
  };
  auto main = [&]() -> runtime::Task<Stats::Snapshot> {
    std::vector<runtime::Task<int>> tasks;
    for (int t = 0; t < kTasks; ++t) tasks.push_back(worker(t));
    (void)co_await runtime::gather(std::move(tasks));
    co_return co_await stats.snapshot();
  };
  const auto s = runtime::run(main(), 4);
  CHECK(snapshots == kTasks * kFetches / 10);
  CHECK(unbalanced == 0);
  CHECK(too_many == 0);
  CHECK(s.fetches_total == kTasks * kFetches);
  CHECK(s.fetches_succeeded == kTasks * kFetches / 3 * 2);
  CHECK(s.fetches_failed == kTasks * kFetches / 3);
  CHECK(s.in_flight == 0);
  CHECK(s.bytes_total == kTasks * kFetches);
  CHECK(finished(s) == Finished{{"connect_failed", "none", kTasks * kFetches / 3}, {"none", "1.1", kTasks * kFetches / 3 * 2}});
}

TEST_CASE("stats: a task that has been cancelled still counts", "[stats]") {
  // Once cancelled, every wait of a task throws: counting must not wait.
  Stats stats;
  runtime::Event started, never;
  auto fetch = [&]() -> runtime::Task<void> {
    stats.fetch_started();
    started.set();
    try {
      co_await never.wait();
    } catch (const std::exception&) {
      stats.fetch_finished(false, 0, 1.0, {"cancelled", "none"});
      throw;
    }
  };
  auto main = [&]() -> runtime::Task<Stats::Snapshot> {
    auto task = runtime::create_task(fetch());
    co_await started.wait();
    task.cancel();
    bool cancelled = false;
    try {
      co_await task.wait();
    } catch (const std::exception& e) {
      cancelled = runtime::is_cancellation(e);
    }
    CHECK(cancelled);
    co_return co_await stats.snapshot();
  };
  const auto s = runtime::run(main());
  CHECK(s.fetches_total == 1);
  CHECK(s.fetches_failed == 1);
  CHECK(s.in_flight == 0);
  CHECK(finished(s) == Finished{{"cancelled", "none", 1}, {"none", "1.1", 0}});
}
