#include "asyncfetch/fetch/fan_out.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "asyncfetch/telemetry/in_flight.hpp"
#include "asyncfetch/telemetry/log.hpp"
#include "asyncfetch/wire/credentials.hpp"
#include "asyncfetch/wire/fetch_error.hpp"
#include "asyncfetch/wire/trace_context.hpp"
#include "asyncfetch/wire/url.hpp"
#include "host_lanes.hpp"
#include "origin_semaphores.hpp"
#include "runtime/cancellation.hpp"
#include "runtime/queue.hpp"
#include "runtime/task_group.hpp"

namespace asyncfetch {

namespace {

// The result's labels on /metrics.
Stats::Outcome outcome_of(const FetchResult& r) {
  return {r.error ? to_string(*r.error) : "none", r.http_version ? to_string(*r.http_version) : "none"};
}

// A fetch that threw instead of reporting its failure in `r`: a cancellation
// that came before the fetch began its own waits (the fetcher reports its
// failures as results, later cancellations included), or a defect, logged.
// Apart from fetch_one so that its temporaries are not in every fetch's frame.
void failed_before_fetching(const FetchJob& job, std::size_t index, const std::exception& e, FetchResult& r) {
  const bool cancelled = runtime::is_cancellation(e);
  r = FetchResult{};  // nothing of a try that came before the throw
  r.url = job.urls[index];
  mask_credentials(r.url);
  r.error = cancelled ? FetchError::cancelled : FetchError::protocol_error;
  if (!cancelled)
    log::error("fetch failed unexpectedly",
               log::tagged({job.request_id, job.trace ? trace_id_hex(*job.trace) : std::string()},
                           {{"url", r.url}, {"what", e.what()}}));
}

}  // namespace

struct RequestProgress {
  std::atomic<std::size_t> next{0};  // the next URL a worker takes
  InFlight fetches;
  std::atomic<std::size_t> succeeded{0};
  std::atomic<std::size_t> failed{0};
};

// The lanes of a request whose URLs are capped per origin, shared by its
// workers. A worker that finds nothing to start parks on `wakeups`; every
// change that may let one start (a fetch finished, a watched permit taken, a
// worker leaving) puts a token. The queue holds one per worker at most: with
// that many queued, every worker that parks finds one.
struct LaneSchedule {
  LaneSchedule(HostLanes l, std::vector<std::shared_ptr<runtime::Semaphore>> s, std::size_t workers)
      : lanes(std::move(l)), sems(std::move(s)), wakeups(workers) {}

  std::mutex m;  // guards lanes and sems
  HostLanes lanes;
  // By lane: its origin's service-wide semaphore, or none (no
  // global_per_host_concurrency, the lane of URLs that do not parse, a lane done with).
  std::vector<std::shared_ptr<runtime::Semaphore>> sems;
  runtime::Queue<char> wakeups;

  void wake() { wakeups.try_put(0); }
};

FanOut::FanOut(const Config& config, Fetcher& fetcher, Stats& stats)
    : config_(config),
      fetcher_(fetcher),
      stats_(stats),
      global_(config.global_concurrency),
      per_origin_(config.global_per_host_concurrency
                      ? std::make_unique<OriginSemaphores>(config.global_per_host_concurrency)
                      : nullptr) {}

FanOut::~FanOut() = default;

std::optional<FanOut::Ticket> FanOut::admit(std::size_t urls) {
  // Fetches admitted but not finished = those in flight (≤ global_concurrency) + those waiting.
  const std::size_t limit = std::size_t{config_.max_queue} + config_.global_concurrency;
  std::size_t before = pending_.fetch_add(urls);
  if (before + urls > limit) {
    pending_.fetch_sub(urls);
    return std::nullopt;
  }
  return Ticket(this, urls);
}

runtime::Task<void> FanOut::fetch_one(std::size_t index, const FetchJob& job, const FetchOptions& options,
                                      runtime::Semaphore& per_request, runtime::Semaphore::Permit host,
                                      RequestProgress& progress, const OnResult& on_result) {
  // The request's own limit first, so one big request queues behind itself
  // rather than crowding the service-wide queue.
  auto request_permit = co_await per_request.acquire();
  auto global_permit = co_await global_.acquire();

  const FetchItem* item = job.item(index);
  std::unique_ptr<FetchOptions> own;  // only an item that sets something pays for a copy
  if (item && (item->method || item->headers || item->body)) {
    own = std::make_unique<FetchOptions>(options);
    if (item->method) own->method = *item->method;
    if (item->headers) own->headers = *item->headers;
    if (item->body) own->body = *item->body;
  }

  progress.fetches.enter();
  stats_.fetch_started();
  FetchResult r;
  try {
    co_await fetcher_.fetch(job.urls[index], own ? *own : options, r);
  } catch (const std::exception& e) {
    failed_before_fetching(job, index, e, r);
  }
  if (item) r.id = item->id;
  progress.fetches.leave();
  ++(r.ok ? progress.succeeded : progress.failed);
  // Counted before the permits go back: else the fetch that takes our permit
  // can be counted in flight while we still are, and /stats max_in_flight
  // passes global_concurrency. Counting does not wait, so a cancelled fetch
  // is counted too.
  stats_.fetch_finished(r.ok, r.bytes, r.elapsed_ms, outcome_of(r));
  global_permit.release();
  request_permit.release();
  host.release();
  on_result(index, std::move(r));
}

runtime::Task<void> FanOut::worker(const FetchJob& job, const FetchOptions& options, runtime::Semaphore& per_request,
                                   runtime::Semaphore* host, RequestProgress& progress, const OnResult& on_result) {
  // Cancelled, the worker ends at its next wait (the permits of the next URL),
  // by throwing.
  for (;;) {
    const std::size_t i = progress.next.fetch_add(1);
    if (i >= job.urls.size()) co_return;
    runtime::Semaphore::Permit host_permit;
    if (host) host_permit = co_await host->acquire();  // one origin: nobody else to let by
    co_await fetch_one(i, job, options, per_request, std::move(host_permit), progress, on_result);
  }
}

runtime::Task<void> FanOut::lane_worker(const FetchJob& job, const FetchOptions& options,
                                        runtime::Semaphore& per_request, LaneSchedule& s, RequestProgress& progress,
                                        const OnResult& on_result) {
  using Kind = HostLanes::Next::Kind;
  for (;;) {
    HostLanes::Next next;
    runtime::Semaphore::Permit host;
    std::shared_ptr<runtime::Semaphore> watched;  // kept while waiting on it: the lane may be done with meanwhile
    {
      std::lock_guard lk(s.m);
      next = s.lanes.next([&](std::size_t lane) {
        if (!s.sems[lane]) return true;
        auto p = s.sems[lane]->try_acquire();
        if (p) host = std::move(*p);
        return p.has_value();
      });
      if (next.kind == Kind::watch) watched = s.sems[next.lane];
    }
    if (next.kind == Kind::done) {
      s.wake();  // the next parked worker sees it too, and leaves
      co_return;
    }
    if (next.kind == Kind::wait) {
      co_await s.wakeups.get();
      continue;
    }
    if (next.kind == Kind::watch) {
      // Holding nothing of this request while it waits: the other origins go on.
      auto permit = co_await watched->acquire();
      std::optional<std::size_t> url;
      {
        std::lock_guard lk(s.m);
        url = s.lanes.take_watched(next.lane);
      }
      s.wake();  // more of the origin's permits may be free, or the lane needs a watcher again
      if (!url) continue;
      host = std::move(permit);
      next.url = *url;
    }
    co_await fetch_one(next.url, job, options, per_request, std::move(host), progress, on_result);
    {
      std::lock_guard lk(s.m);
      if (s.lanes.finished(next.lane)) s.sems[next.lane].reset();
    }
    s.wake();
  }
}

namespace {

// `count` tasks of `make()`, awaited; one runs in the calling task itself (a
// TaskGroup and a task of its own would cost more than its one fetch).
template <class Make>
runtime::Task<void> run_workers(std::size_t count, Make make) {
  if (count == 1) {
    co_await make();
    co_return;
  }
  runtime::TaskGroup group;
  for (std::size_t w = 0; w < count; ++w) group.create_task(make());
  co_await group.join();
}

}  // namespace

runtime::Task<FanOutSummary> FanOut::run(const FetchJob& job, OnResult on_result) {
  const auto start = std::chrono::steady_clock::now();
  FetchOptions options;
  options.method = job.method;
  options.headers = job.headers;
  if (job.body) options.body = *job.body;
  options.include_body = job.include_body;
  options.retries = job.retries;
  options.timeout = job.timeout;
  options.try_timeout = job.try_timeout;
  options.hedge_after = job.hedge_after;
  options.decode = job.decode;
  options.include_headers = job.include_headers;
  options.include_timings = job.include_timings;
  options.trace = job.trace;

  runtime::Semaphore per_request(job.concurrency);
  RequestProgress progress;
  // No more than `concurrency` of the request's fetches run at once, so as
  // many workers do the work: a task per URL would cost a task, a parked
  // semaphore waiter and a frame per URL up front.
  const std::size_t n = job.urls.size();
  std::size_t workers = std::min<std::size_t>(job.concurrency, n);
  const bool per_host = job.per_host_concurrency != 0 && job.per_host_concurrency < workers;
  if (!per_host && !per_origin_) {
    // No limit per origin: the URLs in input order.
    // (Named: GCC 12 destroys a capturing lambda temporary of a co_await expression twice.)
    auto in_order = [&] { return worker(job, options, per_request, nullptr, progress, on_result); };
    co_await run_workers(workers, in_order);
  } else {
    std::vector<std::string> keys(n);
    for (std::size_t i = 0; i < n; ++i)
      if (auto url = parse_url(job.urls[i])) keys[i] = url->origin();
    HostLanes lanes(keys, per_host ? job.per_host_concurrency : 0);
    std::vector<std::shared_ptr<runtime::Semaphore>> sems(lanes.lanes());
    if (per_origin_)
      for (std::size_t l = 0; l < lanes.lanes(); ++l)
        if (!lanes.key(l).empty()) sems[l] = per_origin_->get(lanes.key(l));
    if (lanes.lanes() == 1) {
      // One origin: in input order, as many at once as it may have.
      if (per_host && !lanes.key(0).empty()) workers = job.per_host_concurrency;
      auto in_order = [&] { return worker(job, options, per_request, sems[0].get(), progress, on_result); };
      co_await run_workers(workers, in_order);
    } else {
      LaneSchedule schedule(std::move(lanes), std::move(sems), workers);
      auto by_lane = [&] { return lane_worker(job, options, per_request, schedule, progress, on_result); };
      co_await run_workers(workers, by_lane);
    }
  }

  FanOutSummary s;
  s.total = n;
  s.succeeded = progress.succeeded;
  s.failed = progress.failed;
  s.concurrency = job.concurrency;
  s.max_in_flight = progress.fetches.peak();
  s.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  co_return s;
}

}  // namespace asyncfetch
