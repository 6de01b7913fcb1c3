// wait: asyncio.wait. Waits for some of several running tasks and tells which
// are done; it cancels nothing.
//
//   auto [done, pending] = co_await runtime::wait(tasks, runtime::ReturnWhen::first_completed);
//   for (auto& t : pending) t.cancel();   // if the rest is not wanted
//
// It returns when `when` holds, or when `timeout` has passed (whatever is done
// by then: no TimeoutError, as in asyncio):
// - first_completed: one task has finished;
// - first_exception: one has failed with an exception other than cancellation
//   (a cancelled task does not count, as in asyncio), or all have finished;
// - all_completed (the default): all have finished.
// `done` holds the tasks finished when it returns, `pending` the others, each in
// the order given. Like asyncio.wait, and unlike race, the pending tasks keep
// running: cancel or await them yourself. Cancelling the waiting task ends the
// wait with the cancellation error and leaves the tasks alone too. An empty
// list throws std::invalid_argument (asyncio's ValueError).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "runtime/create_task.hpp"
#include "runtime/detail/state_ref.hpp"
#include "runtime/detail/task_handle_access.hpp"
#include "runtime/detail/wait_set.hpp"
#include "runtime/task.hpp"

namespace runtime {

enum class ReturnWhen { first_completed, first_exception, all_completed };

template <class T>
struct DoneAndPending {
  std::vector<TaskHandle<T>> done;
  std::vector<TaskHandle<T>> pending;
};

template <class T>
Task<DoneAndPending<T>> wait(std::vector<TaskHandle<T>> tasks, ReturnWhen when = ReturnWhen::all_completed,
                            std::optional<std::chrono::steady_clock::duration> timeout = std::nullopt) {
  if (tasks.empty()) throw std::invalid_argument("runtime::wait: no tasks to wait for");
  std::vector<detail::StateRef<detail::TaskState<T>>> states;
  states.reserve(tasks.size());
  for (const auto& t : tasks) states.push_back(detail::TaskHandleAccess::state(t));
  const std::size_t enough = when == ReturnWhen::first_completed ? 1 : tasks.size();
  auto set = std::make_shared<detail::WaitSet<T>>(std::move(states), enough, when == ReturnWhen::first_exception);
  set->watch();
  struct Unwatch {
    detail::WaitSet<T>* set;
    ~Unwatch() { set->unwatch(); }
  } unwatch{set.get()};
  struct TimeOut {
    std::shared_ptr<detail::WaitSet<T>> set;
    void operator()(boost::system::error_code ec) const {
      if (!ec) set->time_out();
    }
  };
  std::optional<boost::asio::steady_timer> timer;  // destroyed on the way out: the wait is cancelled
  if (timeout) {
    timer.emplace(co_await boost::asio::this_coro::executor, *timeout);
    timer->async_wait(TimeOut{set});
  }
  co_await set->wait();
  DoneAndPending<T> out;
  for (auto& t : tasks) (t.done() ? out.done : out.pending).push_back(std::move(t));
  co_return out;
}

// Any duration: `wait(tasks, ReturnWhen::all_completed, 500ms)`.
template <class T, class Rep, class Period>
Task<DoneAndPending<T>> wait(std::vector<TaskHandle<T>> tasks, ReturnWhen when,
                            std::chrono::duration<Rep, Period> timeout) {
  return wait(std::move(tasks), when,
              std::optional(std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout)));
}

}  // namespace runtime
