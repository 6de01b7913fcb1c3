// The event loop behind run(): an io_context driven by one or more threads, and
// the registry of live tasks that run() cancels when the main task finishes.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "runtime/detail/state_ref.hpp"
#include "runtime/detail/task_node.hpp"
#include "runtime/detail/task_type.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace runtime::detail {

struct LoopOp;  // asio_path.hpp, fast path only

// A coroutine that runs on an Asio thread of its own but belongs to a task:
// the body of a timeout scope. Registered with the loop while it runs, so
// that current_task() inside it finds the task (asyncio's current_task() in
// `async with asyncio.timeout()` is the enclosing task).
struct TaskAlias {
  boost::asio::cancellation_slot thread;  // its own thread's state's slot
  boost::asio::cancellation_state owner;  // the state of the thread it belongs to
  TaskAlias* prev = nullptr;
  TaskAlias* next = nullptr;
};

class Loop {
 public:
  explicit Loop(std::size_t threads);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // The loop of the calling thread; throws std::logic_error outside run().
  static Loop& current();
  // The loop of the calling thread, or null outside run().
  static Loop* running() noexcept;

  // Where a new task runs: a strand of its own when the loop has several
  // threads (a task never runs on two threads at once), else the loop itself.
  Executor new_task_executor();

  // One loop thread: tasks run on the loop itself, not on strands.
  bool one_thread() const noexcept;
  // The calling thread runs this loop.
  bool is_current() const noexcept;
  boost::asio::io_context& context() noexcept;
  // Queues an Asio operation on the loop, as a post would, without the
  // allocation and type-erased executor of a post (fast path only). Safe
  // from any thread.
  void post(LoopOp& op) noexcept;

  // The registry of live tasks. Called on loop threads only; with one thread
  // it needs no lock. add() numbers the task (1, 2, ... in the order they
  // start).
  void add(TaskNode* t) noexcept;
  void remove(TaskNode* t) noexcept;
  void cancel_all() noexcept;
  // The live tasks, each with a reference.
  std::vector<StateRef<TaskNode>> live_tasks();
  // The live task whose Asio thread has the cancellation state `cs` (see
  // TaskNode::thread_state), or to which that thread belongs (a TaskAlias),
  // or null; a walk over the registry.
  StateRef<TaskNode> find(const boost::asio::cancellation_state& cs);
  // While the aliased coroutine runs; on its own loop thread.
  void add_alias(TaskAlias* a) noexcept;
  void remove_alias(TaskAlias* a) noexcept;

  // Calls `start` on a loop thread, then runs until no work is left.
  void run(std::function<void()> start);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Throws CancelledError with the cancel message of the task running on the
// calling thread's loop whose Asio thread has the cancellation state `cs`
// (found by Loop::find: for code that notices its task's cancellation
// itself, on the cancellation path only).
[[noreturn]] void throw_cancelled_of(const boost::asio::cancellation_state& cs);

}  // namespace runtime::detail
