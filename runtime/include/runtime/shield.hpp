// shield: asyncio.shield. Awaits a task without passing the awaiter's
// cancellation on to it.
//
//   auto save = runtime::create_task(write_report());
//   co_await runtime::shield(save);   // cancelling this task stops the wait only
//
// Awaiting a task handle (TaskHandle::wait) is structured: cancelling the
// awaiting task cancels the awaited one. Through shield it does not: the wait
// ends at once with the cancellation error and the task runs on; its handle
// still gives its result later. A cancellation of the task itself (from its
// handle, its group, or run() ending) is not blocked: the shielded wait then
// ends with that cancellation error, as asyncio's does.
//
// shield(Task) and shield(Wait) start the work as a task first (asyncio
// wraps a coroutine in a task too); keep a handle instead (create_task, then
// shield(handle)) to reach its result after the awaiter has been cancelled.
// Like every task, a shielded one is cancelled when run() ends.
#pragma once

#include "runtime/create_task.hpp"
#include "runtime/detail/direct_wait.hpp"
#include "runtime/detail/future_state.hpp"
#include "runtime/detail/state_ref.hpp"
#include "runtime/detail/task_handle_access.hpp"
#include "runtime/task.hpp"

namespace runtime {

namespace detail {
// A handle's wait without kCancelsTask: cancelling the waiter only ends the wait.
template <class T>
using ShieldedWait = AwaitResult<T, StateRef<TaskState<T>>, /*kCancelsTask=*/false>;
}  // namespace detail

// `co_await runtime::shield(handle)`: the task's value, or its exception rethrown.
template <class T>
Wait<detail::ShieldedWait<T>> shield(const TaskHandle<T>& task) {
  auto st = detail::TaskHandleAccess::state(task);
  st->check_awaited_here();
  return Wait<detail::ShieldedWait<T>>(detail::ShieldedWait<T>(std::move(st)));
}

template <detail::TaskValue T>
Wait<detail::ShieldedWait<T>> shield(Task<T> body) {
  return shield(create_task(std::move(body)));
}

template <class Op>
Wait<detail::ShieldedWait<typename Op::result_type>> shield(Wait<Op> w) {
  return shield(create_task(std::move(w)));
}

}  // namespace runtime
