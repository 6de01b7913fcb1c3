// AnyTask: a task of any result type, as asyncio's Task objects are seen
// when the result does not matter: what current_task() and all_tasks()
// return, and the base of every TaskHandle<T>.
//
//   auto me = co_await runtime::current_task();
//   me.set_name("fetch example.com");
//   for (auto& t : runtime::all_tasks()) t.cancel("shutting down");
//
// name(): the name given to create_task or set_name, else "Task-<n>", <n>
// counting the tasks started on the loop from 1 (the main task is Task-1).
// cancel(msg) asks the task to stop, as TaskHandle::cancel does, and returns
// false when it is done already; the message reaches the CancelledError the
// task's interrupted wait throws and the task's outcome (cancellation.hpp).
// cancelling() counts the cancel requests not taken back by uncancel().
// uncancel() takes one back; when none is left, a cancellation not yet
// delivered is dropped, and one delivered already stops making the task's
// awaits throw, so a task that caught the CancelledError can carry on
// (asyncio's structured-concurrency blocks use it that way). Call it from the
// task itself for that: from elsewhere the withdrawal reaches the task at its
// next turn.
//
// Copies refer to the same task and keep its record alive, also after the
// loop has ended. An empty AnyTask (current_task() outside a task) offers
// only operator bool and ==.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/cancellation.hpp"
#include "runtime/detail/state_ref.hpp"
#include "runtime/detail/task_node.hpp"
#include "runtime/task.hpp"

namespace runtime {

class AnyTask {
 public:
  AnyTask() noexcept = default;

  explicit operator bool() const noexcept { return static_cast<bool>(node_); }
  friend bool operator==(const AnyTask& a, const AnyTask& b) noexcept { return a.node_.get() == b.node_.get(); }

  bool done() const noexcept { return node_->done(); }
  // Done, and ended by cancellation.
  bool cancelled() const { return node_->done() && is_cancellation(node_->exception()); }

  bool cancel(std::string message = {}) const {
    return node_->cancel(message.empty() ? nullptr : std::make_shared<const std::string>(std::move(message)));
  }
  int cancelling() const noexcept { return node_->cancelling(); }
  int uncancel() const noexcept { return node_->uncancel(); }

  std::string name() const { return node_->name(); }
  void set_name(std::string name) const { node_->set_name(std::move(name)); }

 protected:
  explicit AnyTask(detail::StateRef<detail::TaskNode> node) noexcept : node_(std::move(node)) {}
  detail::TaskNode* node() const noexcept { return node_.get(); }

 private:
  friend Task<AnyTask> current_task();
  friend std::vector<AnyTask> all_tasks();

  detail::StateRef<detail::TaskNode> node_;
};

}  // namespace runtime
