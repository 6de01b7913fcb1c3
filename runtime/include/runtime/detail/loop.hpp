// The event loop behind run(): an io_context driven by one or more threads, and
// the registry of live tasks that run() cancels when the main task finishes.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "runtime/task.hpp"

namespace runtime::detail {

// A started task as the loop sees it: something it can cancel at shutdown.
struct TaskNode {
  TaskNode* prev = nullptr;
  TaskNode* next = nullptr;
  virtual void cancel() noexcept = 0;

 protected:
  ~TaskNode() = default;
};

class Loop {
 public:
  explicit Loop(std::size_t threads);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // The loop of the calling thread; throws std::logic_error outside run().
  static Loop& current();

  // Where a new task runs: a strand of its own when the loop has several
  // threads (a task never runs on two threads at once), else the loop itself.
  Executor new_task_executor();

  void add(TaskNode* t) noexcept;
  void remove(TaskNode* t) noexcept;
  void cancel_all() noexcept;

  // Calls `start` on a loop thread, then runs until no work is left.
  void run(std::function<void()> start);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runtime::detail
