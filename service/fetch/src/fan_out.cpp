#include "asyncfetch/fetch/fan_out.hpp"

#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <chrono>

#include "asyncfetch/telemetry/log.hpp"
#include "runtime/cancellation.hpp"
#include "runtime/task_group.hpp"

namespace asyncfetch {

struct RequestProgress {
  std::atomic<std::size_t> next{0};  // the next URL a worker takes
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> max_in_flight{0};
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

runtime::Task<bool> FanOut::fetch_one(std::size_t index, const FetchJob& job, const FetchOptions& options,
                                      runtime::Semaphore& per_request, RequestProgress& progress,
                                      const OnResult& on_result) {
  // The request's own limit first, so one big request queues behind itself
  // rather than crowding the service-wide queue.
  auto request_permit = co_await per_request.acquire();
  auto global_permit = co_await global_.acquire();

  std::size_t now = ++progress.in_flight;
  for (std::size_t seen = progress.max_in_flight; now > seen && !progress.max_in_flight.compare_exchange_weak(seen, now);) {
  }
  co_await stats_.fetch_started();

  FetchResult r;
  try {
    r = co_await fetcher_.fetch(job.urls[index], options);
  } catch (const std::exception& e) {
    r.url = job.urls[index];
    r.error = runtime::is_cancellation(e) ? "cancelled" : "protocol_error";
    if (!runtime::is_cancellation(e)) log::error("fetch failed unexpectedly", {{"url", r.url}, {"what", e.what()}});
  }
  --progress.in_flight;
  ++(r.ok ? progress.succeeded : progress.failed);

  // The books must balance even when this fetch was cancelled: count it with
  // cancellation paused (the Lock may make us wait a moment). And count it
  // before the permits go back: else the fetch that takes our permit can be
  // counted in flight while we still are, and /stats max_in_flight passes
  // global_concurrency. The reset forgets a cancellation: note it first, so
  // that the worker stops.
  const bool cancelled =
      (co_await boost::asio::this_coro::cancellation_state).cancelled() != boost::asio::cancellation_type::none;
  co_await boost::asio::this_coro::reset_cancellation_state();
  co_await stats_.fetch_finished(r.ok, r.bytes, r.elapsed_ms);
  global_permit.release();
  request_permit.release();
  on_result(index, std::move(r));
  co_return cancelled;
}

runtime::Task<bool> FanOut::worker(const FetchJob& job, const FetchOptions& options, runtime::Semaphore& per_request,
                                   RequestProgress& progress, const OnResult& on_result) {
  for (;;) {
    const std::size_t i = progress.next.fetch_add(1);
    if (i >= job.urls.size()) co_return false;
    const bool cancelled = co_await fetch_one(i, job, options, per_request, progress, on_result);
    if (cancelled) co_return true;
    // A cancellation that came after fetch_one's reset is seen here.
    auto cs = co_await boost::asio::this_coro::cancellation_state;
    if (cs.cancelled() != boost::asio::cancellation_type::none) co_return true;
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

  runtime::Semaphore per_request(job.concurrency);
  RequestProgress progress;
  // No more than `concurrency` of the request's fetches run at once, so that
  // many workers taking the URLs in input order do the work: one task per URL
  // cost a task, a parked semaphore waiter and ~3 KB per URL up front (20000
  // URLs: 20000 tasks, 77 MB).
  const std::size_t workers = std::min<std::size_t>(job.concurrency, job.urls.size());
  if (workers == 1) {
    // One worker (a 1-URL request, or concurrency 1) runs in this very task:
    // a TaskGroup and a task of its own would cost more than its one fetch.
    // Cancelled, it ends like an interrupted join would: by throwing.
    if (co_await worker(job, options, per_request, progress, on_result)) runtime::throw_cancelled();
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
  s.max_in_flight = progress.max_in_flight;
  s.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  co_return s;
}

}  // namespace asyncfetch
