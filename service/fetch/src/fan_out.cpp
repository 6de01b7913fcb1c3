#include "asyncfetch/fetch/fan_out.hpp"

#include <algorithm>
#include <chrono>

#include "asyncfetch/telemetry/in_flight.hpp"
#include "asyncfetch/telemetry/log.hpp"
#include "asyncfetch/wire/fetch_error.hpp"
#include "asyncfetch/wire/trace_context.hpp"
#include "runtime/cancellation.hpp"
#include "runtime/task_group.hpp"

namespace asyncfetch {

namespace {

// The result's labels on /metrics.
Stats::Outcome outcome_of(const FetchResult& r) {
  return {r.error ? to_string(*r.error) : "none", r.http_version ? to_string(*r.http_version) : "none"};
}

}  // namespace

struct RequestProgress {
  std::atomic<std::size_t> next{0};  // the next URL a worker takes
  InFlight fetches;
  std::atomic<std::size_t> succeeded{0};
  std::atomic<std::size_t> failed{0};
};

FanOut::FanOut(const Config& config, Fetcher& fetcher, Stats& stats)
    : config_(config), fetcher_(fetcher), stats_(stats), global_(config.global_concurrency) {}

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
                                      runtime::Semaphore& per_request, RequestProgress& progress,
                                      const OnResult& on_result) {
  // The request's own limit first, so one big request queues behind itself
  // rather than crowding the service-wide queue.
  auto request_permit = co_await per_request.acquire();
  auto global_permit = co_await global_.acquire();

  progress.fetches.enter();
  stats_.fetch_started();
  FetchResult r;
  try {
    r = co_await fetcher_.fetch(job.urls[index], options);
  } catch (const std::exception& e) {
    // A cancellation that came before the fetch began its own waits (the
    // fetcher reports its failures as results, later cancellations included).
    const bool cancelled = runtime::is_cancellation(e);
    r.url = job.urls[index];
    r.error = cancelled ? FetchError::cancelled : FetchError::protocol_error;
    if (!cancelled)
      log::error("fetch failed unexpectedly",
                 log::tagged({job.request_id, job.trace ? trace_id_hex(*job.trace) : std::string()},
                             {{"url", r.url}, {"what", e.what()}}));
  }
  progress.fetches.leave();
  ++(r.ok ? progress.succeeded : progress.failed);
  // Counted before the permits go back: else the fetch that takes our permit
  // can be counted in flight while we still are, and /stats max_in_flight
  // passes global_concurrency. Counting does not wait, so a cancelled fetch
  // is counted too.
  stats_.fetch_finished(r.ok, r.bytes, r.elapsed_ms, outcome_of(r));
  global_permit.release();
  request_permit.release();
  on_result(index, std::move(r));
}

runtime::Task<void> FanOut::worker(const FetchJob& job, const FetchOptions& options, runtime::Semaphore& per_request,
                                   RequestProgress& progress, const OnResult& on_result) {
  // Cancelled, the worker ends at its next wait (the permits of the next URL),
  // by throwing.
  for (;;) {
    const std::size_t i = progress.next.fetch_add(1);
    if (i >= job.urls.size()) co_return;
    co_await fetch_one(i, job, options, per_request, progress, on_result);
  }
}

runtime::Task<FanOutSummary> FanOut::run(const FetchJob& job, OnResult on_result) {
  const auto start = std::chrono::steady_clock::now();
  FetchOptions options;
  options.method = job.method;
  options.headers = job.headers;
  options.include_body = job.include_body;
  options.retries = job.retries;
  options.timeout = job.timeout;
  options.decode = job.decode;
  options.include_headers = job.include_headers;
  options.include_timings = job.include_timings;
  options.trace = job.trace;

  runtime::Semaphore per_request(job.concurrency);
  RequestProgress progress;
  // No more than `concurrency` of the request's fetches run at once, so as
  // many workers, taking the URLs in input order, do the work: a task per URL
  // would cost a task, a parked semaphore waiter and a frame per URL up front.
  const std::size_t workers = std::min<std::size_t>(job.concurrency, job.urls.size());
  if (workers == 1) {
    // One worker (a 1-URL request, or concurrency 1) runs in this very task:
    // a TaskGroup and a task of its own would cost more than its one fetch.
    co_await worker(job, options, per_request, progress, on_result);
  } else {
    runtime::TaskGroup group;
    for (std::size_t w = 0; w < workers; ++w) group.create_task(worker(job, options, per_request, progress, on_result));
    co_await group.join();
  }

  FanOutSummary s;
  s.total = job.urls.size();
  s.succeeded = progress.succeeded;
  s.failed = progress.failed;
  s.concurrency = job.concurrency;
  s.max_in_flight = progress.fetches.peak();
  s.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  co_return s;
}

}  // namespace asyncfetch
