// TaskGroup: asyncio.TaskGroup, structured concurrency.
//
//   runtime::TaskGroup tg;
//   auto a = tg.create_task(fetch(1));
//   auto b = tg.create_task(fetch(2));
//   co_await tg.join();          // the end of `async with TaskGroup() as tg:`
//
// join() waits for every child. The first child to fail (with anything but
// cancellation) makes the group cancel all the others; join() then rethrows
// that first exception once every child has finished. Cancelling the task that
// is in join() cancels every child and still waits for them.
//
// C++ has no async destructor: always join(). A group destroyed with children
// still running cancels them and cannot wait for them.
#pragma once

#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/create_task.hpp"
#include "runtime/detail/task_node.hpp"
#include "runtime/detail/wait_queue.hpp"
#include "runtime/detail/direct_wait.hpp"
#include "runtime/task.hpp"

namespace runtime {

class TaskGroup {
 public:
  // keep_going: a failing child does not cancel its siblings and join() does
  // not throw; each child's handle holds its own outcome (gather's
  // return_exceptions mode).
  enum class OnFailure { cancel_siblings, keep_going };

  explicit TaskGroup(OnFailure mode = OnFailure::cancel_siblings);
  ~TaskGroup();
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  template <detail::TaskValue T>
  TaskHandle<T> create_task(Task<T> body) {
    return TaskHandle<T>(detail::spawn(std::move(body), st_));
  }
  // asyncio's tg.create_task(coro, name=...).
  template <detail::TaskValue T>
  TaskHandle<T> create_task(Task<T> body, std::string name) {
    return TaskHandle<T>(detail::spawn(std::move(body), st_, &name));
  }
  template <class Op>
  TaskHandle<typename Op::result_type> create_task(Wait<Op> w) {
    return create_task(detail::as_task(std::move(w)));
  }
  // create_task for each, in order.
  template <detail::TaskValue T>
  std::vector<TaskHandle<T>> create_tasks(std::vector<Task<T>> bodies) {
    std::vector<TaskHandle<T>> handles;
    handles.reserve(bodies.size());
    for (auto& b : bodies) handles.push_back(create_task(std::move(b)));
    return handles;
  }

  Task<void> join();
  void cancel() noexcept;          // cancels every child still running
  std::size_t running() const noexcept;

 private:
  struct State final : detail::TaskWatcher {
    explicit State(OnFailure m) : mode(m) {}
    bool task_started(detail::TaskNode& child) noexcept override;
    void task_done(detail::TaskNode& child, const std::exception_ptr& e) noexcept override;
    void cancel_all() noexcept;

    const OnFailure mode;
    mutable std::mutex m;
    std::size_t running = 0;
    bool failing = false;
    std::exception_ptr first_error;
    // The children still running (a long-lived group, like a server's, keeps
    // no trace of finished ones). Each is linked from its start to its end,
    // while its own task keeps it alive.
    detail::TaskList<&detail::TaskNode::in_group> children;
    detail::WaitQueue joiners;
  };
  std::shared_ptr<State> st_;
};

}  // namespace runtime
