#include "asyncfetch/telemetry/stats.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

namespace asyncfetch {

void Stats::request_started() { record({Change::Kind::request_started}); }
void Stats::request_rejected() { record({Change::Kind::request_rejected}); }
void Stats::fetch_started() { record({Change::Kind::fetch_started}); }
void Stats::fetch_finished(bool ok, std::uint64_t bytes, double elapsed_ms, Outcome outcome) {
  record({Change::Kind::fetch_finished, ok, bytes, elapsed_ms, outcome});
}

void Stats::record(const Change& c) {
  runtime::Lock::Guard held;
  if (!lock_.try_acquire(held)) {
    std::lock_guard lk(backlog_m_);
    backlog_.push_back(c);
    backlogged_.store(true, std::memory_order_release);
    return;
  }
  apply_backlog();
  apply(c);
}

void Stats::apply_backlog() {
  if (!backlogged_.load(std::memory_order_acquire)) return;
  std::vector<Change> changes;
  {
    std::lock_guard lk(backlog_m_);
    changes.swap(backlog_);
    backlogged_.store(false, std::memory_order_relaxed);
  }
  for (const Change& c : changes) apply(c);
}

void Stats::apply(const Change& c) {
  switch (c.kind) {
    case Change::Kind::request_started: ++s_.requests_total; break;
    case Change::Kind::request_rejected: ++s_.rejected_total; break;
    case Change::Kind::fetch_started:
      ++s_.fetches_total;
      fetches_.enter();
      break;
    case Change::Kind::fetch_finished: {
      fetches_.leave();
      ++(c.ok ? s_.fetches_succeeded : s_.fetches_failed);
      s_.bytes_total += c.bytes;
      const double secs = c.elapsed_ms / 1000.0;
      const auto bucket = std::lower_bound(latency_buckets.begin(), latency_buckets.end(), secs) - latency_buckets.begin();
      ++s_.latency_counts[static_cast<std::size_t>(bucket)];
      s_.latency_sum_s += secs;
      // A handful of outcomes occur, so a sorted vector: the search is short
      // and a snapshot copies one block.
      auto& f = s_.finished;
      auto it = std::lower_bound(f.begin(), f.end(), c.outcome,
                                 [](const OutcomeCount& e, const Outcome& o) { return e.outcome < o; });
      if (it == f.end() || it->outcome != c.outcome) it = f.insert(it, {c.outcome, 0});
      ++it->count;
      break;
    }
  }
}

runtime::Task<Stats::Snapshot> Stats::snapshot() {
  auto held = co_await lock_.acquire();
  apply_backlog();
  Snapshot s = s_;
  s.in_flight = fetches_.now();
  s.max_in_flight = fetches_.peak();
  s.uptime_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  s.connections_opened = connections_opened_.load(std::memory_order_relaxed);
  s.connections_reused = connections_reused_.load(std::memory_order_relaxed);
  s.tls_handshakes_full = tls_full_.load(std::memory_order_relaxed);
  s.tls_handshakes_resumed = tls_resumed_.load(std::memory_order_relaxed);
  co_return s;
}

std::string Stats::to_json(const Snapshot& s) {
  nlohmann::json j = {
      {"requests_total", s.requests_total},       {"fetches_total", s.fetches_total},
      {"fetches_succeeded", s.fetches_succeeded}, {"fetches_failed", s.fetches_failed},
      {"in_flight", s.in_flight},                 {"max_in_flight", s.max_in_flight},
      {"bytes_total", s.bytes_total},             {"rejected_total", s.rejected_total},
      {"uptime_s", s.uptime_s},
  };
  return j.dump() + "\n";
}

std::string Stats::to_prometheus(const Snapshot& s, bool ready) {
  std::ostringstream o;
  // 15 significant digits: bucket bounds print as written (0.005, 2.5, 10) and
  // sums and uptime keep their precision (the default 6 would print 1.23457e+06).
  o.precision(15);
  auto counter = [&](const char* name, const char* help, std::uint64_t v) {
    o << "# HELP asyncfetch_" << name << ' ' << help << "\n# TYPE asyncfetch_" << name << " counter\n"
      << "asyncfetch_" << name << ' ' << v << '\n';
  };
  auto gauge = [&](const char* name, const char* help, double v) {
    o << "# HELP asyncfetch_" << name << ' ' << help << "\n# TYPE asyncfetch_" << name << " gauge\n"
      << "asyncfetch_" << name << ' ' << v << '\n';
  };
  counter("requests_total", "POST /fetch requests accepted.", s.requests_total);
  counter("rejected_total", "POST /fetch requests refused with 429.", s.rejected_total);
  counter("fetches_total", "Outbound fetches started.", s.fetches_total);
  counter("fetches_succeeded_total", "Fetches that got a response with status < 400.", s.fetches_succeeded);
  counter("fetches_failed_total", "Fetches that failed or got status >= 400.", s.fetches_failed);
  o << "# HELP asyncfetch_fetches_finished_total Fetches finished, per error code (none: a response came) and "
       "HTTP version of the response (none: no response came).\n"
    << "# TYPE asyncfetch_fetches_finished_total counter\n";
  for (const auto& [outcome, n] : s.finished) {
    o << "asyncfetch_fetches_finished_total{error=\"" << outcome.error << "\",http_version=\"" << outcome.http_version
      << "\"} " << n << '\n';
  }
  counter("bytes_total", "Response body bytes received.", s.bytes_total);
  counter("upstream_connections_opened_total", "Upstream connections opened (TCP connected).", s.connections_opened);
  counter("upstream_connections_reused_total", "Requests sent on an upstream connection already open (pooled HTTP/1.1, or HTTP/2 made by another fetch).",
          s.connections_reused);
  o << "# HELP asyncfetch_tls_handshakes_total TLS handshakes completed with upstreams, by whether they resumed a "
       "session.\n"
    << "# TYPE asyncfetch_tls_handshakes_total counter\n"
    << "asyncfetch_tls_handshakes_total{resumed=\"false\"} " << s.tls_handshakes_full << '\n'
    << "asyncfetch_tls_handshakes_total{resumed=\"true\"} " << s.tls_handshakes_resumed << '\n';
  gauge("in_flight", "Fetches in flight now.", static_cast<double>(s.in_flight));
  gauge("max_in_flight", "Most fetches in flight at once since start.", static_cast<double>(s.max_in_flight));
  gauge("uptime_seconds", "Seconds since start.", s.uptime_s);
  gauge("ready", "1 while the service is ready (GET /readyz answers 200), else 0.", ready ? 1 : 0);

  o << "# HELP asyncfetch_fetch_duration_seconds Fetch latency, all tries included.\n"
    << "# TYPE asyncfetch_fetch_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < latency_buckets.size(); ++i) {
    cumulative += s.latency_counts[i];
    o << "asyncfetch_fetch_duration_seconds_bucket{le=\"" << latency_buckets[i] << "\"} " << cumulative << '\n';
  }
  cumulative += s.latency_counts.back();
  o << "asyncfetch_fetch_duration_seconds_bucket{le=\"+Inf\"} " << cumulative << '\n'
    << "asyncfetch_fetch_duration_seconds_sum " << s.latency_sum_s << '\n'
    << "asyncfetch_fetch_duration_seconds_count " << cumulative << '\n';
  return o.str();
}

}  // namespace asyncfetch
