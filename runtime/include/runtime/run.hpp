// run: asyncio.run. Runs an event loop until `main` completes, returns its
// value or rethrows its exception.
//
//   int main() { return runtime::run(amain()); }
//   runtime::run(serve(), 4);   // the loop on 4 threads
//
// With several threads, every task runs on a strand of its own (never on two
// threads at once) and tasks run in parallel; the primitives of this library
// may be shared between them. When `main` finishes, tasks still running are
// cancelled and awaited, as asyncio.run does, before run returns.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <type_traits>

#include "runtime/create_task.hpp"
#include "runtime/detail/direct_wait.hpp"
#include "runtime/detail/loop.hpp"
#include "runtime/task.hpp"

namespace runtime {

namespace detail {
// Watches the main task: when it ends, the loop's other tasks are cancelled.
struct CancelAllWhenDone final : TaskWatcher {
  explicit CancelAllWhenDone(Loop& l) : loop(l) {}
  void task_done(TaskNode&, const std::exception_ptr&) noexcept override { loop.cancel_all(); }
  Loop& loop;
};
}  // namespace detail

template <detail::TaskValue T>
T run(Task<T> main, std::size_t threads = 1) {
  detail::Loop loop(threads);
  detail::StateRef<detail::TaskState<T>> st;
  loop.run([&] { st = detail::spawn(std::move(main), std::make_shared<detail::CancelAllWhenDone>(loop)); });
  if constexpr (std::is_void_v<T>) {
    st->take();
  } else {
    return st->take();
  }
}

template <class Op>
typename Op::result_type run(Wait<Op> main, std::size_t threads = 1) {
  return run(detail::as_task(std::move(main)), threads);
}

}  // namespace runtime
