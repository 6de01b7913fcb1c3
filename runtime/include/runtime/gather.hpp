// gather: asyncio.gather. Runs tasks concurrently and returns their results in
// argument order.
//
//   auto [a, b] = co_await runtime::gather(fetch(1), fetch(2));
//   std::vector<int> all = co_await runtime::gather(std::move(tasks));
//   auto outcomes = co_await runtime::gather(runtime::return_exceptions, std::move(tasks));
//
// By default the first failure cancels the others (a TaskGroup underneath, or
// for a vector its lighter equivalent: no task outlives the gather) and is
// rethrown once they have finished; this is
// stricter than asyncio, which leaves the others running. With
// `return_exceptions` every task runs to its end and each result is an
// Outcome<T> holding a value or an exception. void results become None.
#pragma once

#include <tuple>
#include <vector>

#include "runtime/create_task.hpp"
#include "runtime/detail/direct_wait.hpp"
#include "runtime/detail/child_run.hpp"
#include "runtime/task.hpp"
#include "runtime/task_group.hpp"

namespace runtime {

struct ReturnExceptions {};
inline constexpr ReturnExceptions return_exceptions{};

// Each argument is a Task or a primitive's Wait (a lock's acquire(), say).
template <detail::Awaitable... A>
Task<std::tuple<value_t<detail::await_result_t<A>>...>> gather(A... tasks) {
  TaskGroup group;
  // Braced initialisation evaluates left to right: tasks start in argument order.
  std::tuple<TaskHandle<detail::await_result_t<A>>...> handles{group.create_task(std::move(tasks))...};
  co_await group.join();
  co_return std::apply(
      [](auto&... h) { return std::tuple<value_t<detail::await_result_t<A>>...>(h.take()...); }, handles);
}

template <detail::Awaitable... A>
Task<std::tuple<Outcome<detail::await_result_t<A>>...>> gather(ReturnExceptions, A... tasks) {
  TaskGroup group(TaskGroup::OnFailure::keep_going);
  std::tuple<TaskHandle<detail::await_result_t<A>>...> handles{group.create_task(std::move(tasks))...};
  co_await group.join();
  co_return std::apply(
      [](auto&... h) { return std::tuple<Outcome<detail::await_result_t<A>>...>(h.outcome()...); },
      handles);
}

// Over a vector the children run without a task state each (detail::ChildRun):
// the same semantics as the TaskGroup above, at less than half the cost per task.
template <detail::TaskValue T>
Task<std::vector<value_t<T>>> gather(std::vector<Task<T>> tasks) {
  using Run = detail::ChildRun<T>;
  const std::size_t n = tasks.size();
  auto run = std::make_shared<Run>(n, Run::Mode::fail_fast);
  run->start(std::move(tasks));
  co_await run->join();
  std::vector<value_t<T>> results;
  results.reserve(n);
  for (std::size_t i = 0; i < n; ++i) results.push_back(run->take(i));
  co_return results;
}

template <detail::TaskValue T>
Task<std::vector<Outcome<T>>> gather(ReturnExceptions, std::vector<Task<T>> tasks) {
  using Run = detail::ChildRun<T>;
  const std::size_t n = tasks.size();
  auto run = std::make_shared<Run>(n, Run::Mode::keep_going);
  run->start(std::move(tasks));
  co_await run->join();
  std::vector<Outcome<T>> results;
  results.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (auto e = run->take_error(i)) {
      results.emplace_back(std::move(e));
    } else {
      results.emplace_back(run->take(i));
    }
  }
  co_return results;
}

}  // namespace runtime
