// as_completed: asyncio.as_completed / Tokio's JoinSet::join_next. Results in
// the order the tasks finish.
//
//   auto results = runtime::as_completed(std::move(tasks));   // they start now
//   while (auto done = co_await results.next()) {
//     use(done->index, done->outcome.value());   // value() rethrows that task's exception
//   }
//
// as_completed starts every task (at the loop's next turn, in order) and owns
// them, like a JoinSet. next() waits for the next one to finish and returns its
// index in the vector and its Outcome; a failed task does not end the
// iteration, its Outcome holds the exception. Once every task has been handed
// out, next() returns std::nullopt. One task consumes the iteration.
//
// Nothing outlives it unasked:
// - cancelling the task waiting in next() cancels every task still running;
//   next() throws the cancellation error once they have all finished;
// - shutdown() cancels the rest and waits for them (JoinSet::shutdown); their
//   results are dropped, and next() returns std::nullopt;
// - destroying the iteration cancels the rest but cannot wait for them (C++
//   has no asynchronous destructor; Tokio's JoinSet drop does the same): they
//   finish on their own, and run() waits for them before it returns.
// asyncio's as_completed cancels nothing (it merely stops waiting); this one
// follows JoinSet, so that an iteration left early leaves no work behind.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "runtime/create_task.hpp"
#include "runtime/detail/child_run.hpp"
#include "runtime/detail/direct_wait.hpp"
#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime {

// One finished task: its place in the vector given to as_completed, and its
// value or exception.
template <class T>
struct Completed {
  std::size_t index;
  Outcome<T> outcome;
};

template <class T>
class AsCompleted {
  using Run = detail::ChildRun<T>;

 public:
  explicit AsCompleted(std::vector<Task<T>> tasks)
      : run_(std::make_shared<Run>(tasks.size(), Run::Mode::keep_going, /*in_completion_order=*/true)) {
    run_->start(std::move(tasks));
  }
  AsCompleted(AsCompleted&&) noexcept = default;
  AsCompleted& operator=(AsCompleted&& o) noexcept {
    if (this != &o) {
      stop();
      run_ = std::move(o.run_);
    }
    return *this;
  }
  ~AsCompleted() { stop(); }

  // How next() waits (see detail/direct_wait.hpp).
  struct Next {
    using result_type = std::optional<Completed<T>>;
    explicit Next(Run* r) noexcept : run(r) {}
    // The cancel hook is set when the wait parks, after the last move.
    Next(Next&& o) noexcept : run(o.run) {}
    Next& operator=(Next&&) = delete;

    bool try_now() { return run->next_ready(); }
    auto park_hook(detail::Waiter& w) {
      on_cancel = detail::OnCancel::call<&Run::cancel_next>(run);
      return run->next_hook(w, &on_cancel);
    }
    result_type result() {
      auto i = run->take_next();
      if (!i) return std::nullopt;
      if (auto e = run->take_error(*i)) return Completed<T>{*i, Outcome<T>(std::move(e))};
      return Completed<T>{*i, Outcome<T>(run->take(*i))};
    }

    Run* run;  // the iteration's, which outlives the wait
    detail::OnCancel on_cancel;
  };

  // `while (auto done = co_await it.next())`: the next task to finish, or
  // std::nullopt when all have been handed out.
  Wait<Next> next() {
    run_->check_consumed_here();
    return Wait<Next>(Next(run_.get()));
  }

  // Cancels the tasks still running and waits until they have finished.
  Task<void> shutdown() {
    run_->check_consumed_here();
    auto run = run_;  // the wait holds the tasks' block, even if this iteration goes
    co_await run->shutdown();
  }

 private:
  void stop() noexcept {
    if (run_ && !run_->done()) run_->cancel();
  }
  std::shared_ptr<Run> run_;
};

// Must be called on a loop thread (inside runtime::run), like create_task.
template <detail::TaskValue T>
AsCompleted<T> as_completed(std::vector<Task<T>> tasks) {
  return AsCompleted<T>(std::move(tasks));
}

}  // namespace runtime
