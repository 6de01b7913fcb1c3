// The machinery under runtime::wait: one task waits for several others at
// once without cancelling them.
//
// A task's wait() parks the awaiting coroutine in the task's queue of waiters,
// and a coroutine parks in one queue at a time. So each watched task gets a
// node instead, a callback waiter (Waiter::on_complete) in its queue, which
// counts the tasks as they finish and wakes the waiting task once enough have.
// The waiting task takes the nodes still queued out again when it leaves; a
// node that a finishing task has taken already is completed by that task, and
// holds the set alive until then.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "runtime/cancellation.hpp"
#include "runtime/create_task.hpp"
#include "runtime/detail/asio_path.hpp"
#include "runtime/detail/state_ref.hpp"
#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime::detail {

template <class T>
class WaitSet : public std::enable_shared_from_this<WaitSet<T>> {
 public:
  // Done once `enough` of `tasks` have finished, or, with `stop_at_failure`,
  // one has failed with an exception other than cancellation, or time_out()
  // has been called.
  WaitSet(std::vector<StateRef<TaskState<T>>> tasks, std::size_t enough, bool stop_at_failure)
      : n_(tasks.size()), nodes_(new Node[n_]), enough_(enough), stop_at_failure_(stop_at_failure) {
    for (std::size_t i = 0; i < n_; ++i) nodes_[i].task = std::move(tasks[i]);
  }

  // Queues a node on every task (once, right after the set is made).
  void watch() {
    for (std::size_t i = 0; i < n_; ++i) nodes_[i].task->check_awaited_here();  // before any is queued
    for (std::size_t i = 0; i < n_; ++i) {
      Node& node = nodes_[i];
      node.on_complete = &finished;
      node.keep = this->shared_from_this();
      if (!node.task->subscribe(node)) {  // finished already
        node.keep.reset();
        count(node);
      }
    }
  }

  // Parks the calling coroutine until the set is done. Cancelling the
  // waiting task ends this wait with the cancellation error and leaves the
  // watched tasks alone.
  Task<void> wait() {
    auto is_done = [this] { return done_locked(); };
    Waiter w;
    co_await park_on(ParkHook<decltype(is_done)>{m_, waiter_, is_done, w});
    w.check();
  }

  // The deadline has passed: the set is done, whatever has finished.
  void time_out() {
    WakeList woken;
    {
      std::lock_guard lk(m_);
      timed_out_ = true;
      woken = waiter_.take_all();
    }
    while (auto* w = woken.pop_front()) w->complete({});
  }

  // Takes the nodes still queued out of their tasks (the waiting task, when
  // it leaves). A node that its task has taken is completed by that task.
  void unwatch() noexcept {
    for (std::size_t i = 0; i < n_; ++i) {
      Node& node = nodes_[i];
      if (node.task->unsubscribe(node)) node.keep.reset();
    }
  }

 private:
  struct Node : Waiter {
    StateRef<TaskState<T>> task;
    std::shared_ptr<WaitSet> keep;  // while queued on its task: the set, for finished()
  };

  // A node's task has finished (on_complete, on the finishing thread).
  static void finished(Waiter& w) {
    auto& node = static_cast<Node&>(w);
    auto keep = std::move(node.keep);  // may be the set's last hold: released at the very end
    keep->count(node);
  }

  void count(Node& node) {
    const bool failed = stop_at_failure_ && failed_with_exception(*node.task);
    WakeList woken;
    {
      std::lock_guard lk(m_);
      ++finished_;
      failed_ = failed_ || failed;
      if (done_locked()) woken = waiter_.take_all();
    }
    while (auto* w = woken.pop_front()) w->complete({});
  }

  static bool failed_with_exception(TaskState<T>& task) {
    const auto e = task.exception();
    return e && !is_cancellation(e);
  }

  bool done_locked() const noexcept { return timed_out_ || failed_ || finished_ >= enough_; }

  const std::size_t n_;
  std::unique_ptr<Node[]> nodes_;
  const std::size_t enough_;
  const bool stop_at_failure_;
  std::mutex m_;  // guards the counts and waiter_
  std::size_t finished_ = 0;
  bool failed_ = false;
  bool timed_out_ = false;
  WaitQueue waiter_;
};

}  // namespace runtime::detail
