// Wait<Op>: what Lock::acquire, Semaphore::acquire, Event::wait and the task
// and future waits return. `co_await` on it costs no coroutine frame.
//
// A coroutine frame costs more than an uncontended acquire itself (~15 ns
// against a few), so on the fast path (asio_path.hpp) a Wait is awaited
// through its own members: the resource is claimed in await_ready when it is
// free (no suspension at all), and otherwise the coroutine parks through its
// ParkHook right after it has suspended. On the public path a Wait is the
// coroutine that does the same.
//
// A Wait is meant to be awaited where it is made. Where a Task is needed
// (create_task, TaskGroup, gather, wait_for, run), those take a Wait too and
// wrap it in one (as_task below).
//
// An Op is a small copyable description of the wait:
//   using result_type = ...;           // what co_await returns
//   bool try_now() noexcept;           // claims the resource if it is free at once
//   ParkHook<...> park_hook(Waiter&);  // parks the caller unless it is ready (under the mutex)
//   result_type result();              // after the wait, with the resource claimed
#pragma once

#include <utility>

#include "runtime/detail/asio_path.hpp"
#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime::detail {
// True for the value type of a fast-path Wait: the functions that take a
// Task<T> leave Wait<Op> (which is then an awaitable<WaitOp<Op>>) to their
// Wait overloads. (On the public path a Wait is a class of its own.)
template <class T>
inline constexpr bool is_wait_op = false;
template <class Op>
inline constexpr bool is_wait_op<WaitOp<Op>> = true;
template <class T>
concept TaskValue = !is_wait_op<T>;

// The value a Task<T> or a Wait<Op> produces when awaited.
template <class A>
struct await_result;
template <class T>
struct await_result<Task<T>> {
  using type = T;
};
template <class Op>
struct await_result<Wait<Op>> {
  using type = typename Op::result_type;
};
template <class A>
using await_result_t = typename await_result<A>::type;

// What create_task, TaskGroup, gather, wait_for and run accept.
template <class A>
concept Awaitable = requires { typename await_result<A>::type; };

// A Wait as the Task it stands for, for the functions that need a Task.
template <class Op>
Task<typename Op::result_type> as_task(Wait<Op> w) {
  co_return co_await std::move(w);
}

}  // namespace runtime::detail
