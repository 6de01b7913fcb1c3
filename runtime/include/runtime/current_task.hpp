// current_task / all_tasks: asyncio.current_task() and asyncio.all_tasks().
//
//   auto me = co_await runtime::current_task();   // this task (AnyTask)
//   std::cout << me.name();
//   auto live = runtime::all_tasks();              // every unfinished task of this loop
//
// current_task() is awaited, not called: C++ finds the coroutine that is
// running only from inside it, through co_await (as Asio's
// this_coro::executor does). Like every co_await in a cancelled task, it then
// throws the cancellation error: keep the task's AnyTask from before, if it
// is needed afterwards. It finds the task by its Asio cancellation state
// among the loop's live tasks, so it costs a walk over them (meant for
// names in logs and for cancel/uncancel, not for a hot path). Inside a
// timeout scope's body it is the task that runs the scope, as in asyncio. It
// is empty inside the children of gather over a vector, race and
// as_completed, which run without a task of their own (asyncio makes each a
// task), and in a coroutine the runtime did not start.
//
// all_tasks() returns the tasks started on the calling thread's loop and not
// finished yet, the main task included, in no particular order. Both must be
// used on a loop thread (inside runtime::run).
#pragma once

#include <vector>

#include "runtime/any_task.hpp"
#include "runtime/task.hpp"

namespace runtime {

Task<AnyTask> current_task();
std::vector<AnyTask> all_tasks();

}  // namespace runtime
