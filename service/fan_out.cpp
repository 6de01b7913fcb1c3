#include "fan_out.hpp"

#include <boost/asio/this_coro.hpp>

#include <chrono>

#include "log.hpp"
#include "runtime/cancellation.hpp"
#include "runtime/task_group.hpp"

namespace asyncfetch {

struct RequestProgress {
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

runtime::Task<void> FanOut::fetch_one(std::size_t index, const FetchJob& job, const FetchOptions& options,
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
  // global_concurrency.
  co_await boost::asio::this_coro::reset_cancellation_state();
  co_await stats_.fetch_finished(r.ok, r.bytes, r.elapsed_ms);
  global_permit.release();
  request_permit.release();
  on_result(index, std::move(r));
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
  runtime::TaskGroup group;
  for (std::size_t i = 0; i < job.urls.size(); ++i)
    group.create_task(fetch_one(i, job, options, per_request, progress, on_result));
  co_await group.join();

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
