// The task state behind a TaskHandle, for the combinators that wait on a task
// in ways of their own (shield.hpp, wait.hpp) rather than through its wait().
#pragma once

#include "runtime/create_task.hpp"
#include "runtime/detail/state_ref.hpp"

namespace runtime::detail {

struct TaskHandleAccess {
  template <class T>
  static StateRef<TaskState<T>> state(const TaskHandle<T>& h) noexcept {
    return StateRef<TaskState<T>>::share(h.st());
  }
};

}  // namespace runtime::detail
