// The fan-out: runs one /fetch request's URLs concurrently, never more than
// the request's `concurrency` at once (a Semaphore per request) and never more
// than `global_concurrency` across all requests (a Semaphore shared by the
// service), reporting each result as it completes. With per-origin limits
// (the request's `per_host_concurrency`, the service's
// `global_per_host_concurrency`: a Semaphore per origin) the URLs of each
// origin go side by side with the others': one that is at its cap holds up
// no other.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "asyncfetch/config.hpp"
#include "asyncfetch/fetch/fetcher.hpp"
#include "asyncfetch/telemetry/stats.hpp"
#include "asyncfetch/wire/fetch_request.hpp"
#include "runtime/semaphore.hpp"
#include "runtime/task.hpp"

namespace asyncfetch {

struct RequestProgress;  // one request's counters (fan_out.cpp)
struct LaneSchedule;     // one request's per-origin lanes (fan_out.cpp)
class OriginSemaphores;  // the service-wide semaphore per origin

class FanOut {
 public:
  FanOut(const Config& config, Fetcher& fetcher, Stats& stats);
  ~FanOut();

  // Admission control: a request of `urls` fetches may enter only while the
  // fetches waiting service-wide stay within max_queue. The ticket gives its
  // share back when destroyed.
  class Ticket {
   public:
    Ticket(Ticket&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), n_(o.n_) {}
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket() {
      if (owner_) owner_->pending_.fetch_sub(n_);
    }

   private:
    friend class FanOut;
    Ticket(FanOut* o, std::size_t n) : owner_(o), n_(n) {}
    FanOut* owner_;
    std::size_t n_;
  };
  std::optional<Ticket> admit(std::size_t urls);

  // Called once per URL, from whichever loop thread finished it (so it must be
  // thread-safe); `index` is the URL's position in the request.
  using OnResult = std::function<void(std::size_t index, FetchResult&& result)>;

  // Cancelling the calling task cancels every outstanding fetch (each reports
  // a cancelled result, gives its permits back and closes its connection); URLs
  // not started get no result. run() then throws the cancellation, unless
  // every URL had its result by then.
  runtime::Task<FanOutSummary> run(const FetchJob& job, OnResult on_result);

 private:
  // One URL, once a permit of each semaphore is free (`host`: its origin's,
  // taken already, or none); its result goes to on_result.
  runtime::Task<void> fetch_one(std::size_t index, const FetchJob& job, const FetchOptions& options,
                                runtime::Semaphore& per_request, runtime::Semaphore::Permit host,
                                RequestProgress& progress, const OnResult& on_result);
  // Takes the next URL of the request, in input order, until none is left;
  // `host`: the semaphore of the one origin they all have, or none.
  runtime::Task<void> worker(const FetchJob& job, const FetchOptions& options, runtime::Semaphore& per_request,
                             runtime::Semaphore* host, RequestProgress& progress, const OnResult& on_result);
  // Takes the next URL that can start, of whichever origin, until none is left.
  runtime::Task<void> lane_worker(const FetchJob& job, const FetchOptions& options, runtime::Semaphore& per_request,
                                  LaneSchedule& lanes, RequestProgress& progress, const OnResult& on_result);

  const Config& config_;
  Fetcher& fetcher_;
  Stats& stats_;
  runtime::Semaphore global_;
  std::unique_ptr<OriginSemaphores> per_origin_;  // none without global_per_host_concurrency
  std::atomic<std::size_t> pending_{0};
};

}  // namespace asyncfetch
