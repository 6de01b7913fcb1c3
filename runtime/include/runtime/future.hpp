// Future<T>: asyncio.Future. A one-shot result set from outside (any thread,
// inside the loop or not) and awaited by any number of tasks.
//
//   runtime::Future<int> f;
//   std::thread([f] { f.set_value(42); }).detach();
//   int v = co_await f.wait();
//
// Copies share one state. Setting a result twice throws std::logic_error
// (asyncio's InvalidStateError). Cancelling a waiting task only stops that wait.
#pragma once

#include <memory>
#include <stdexcept>
#include <type_traits>

#include "runtime/detail/direct_wait.hpp"
#include "runtime/detail/future_state.hpp"
#include "runtime/task.hpp"

namespace runtime {

template <class T = void>
class Future {
 public:
  Future() : st_(std::make_shared<detail::FutureState<T>>()) {}

  template <class U = T>
    requires(!std::is_void_v<U>)
  void set_value(U v) const {
    if (!st_->set_value(std::move(v))) already_done();
  }
  template <class U = T>
    requires std::is_void_v<U>
  void set_value() const {
    if (!st_->set_value(None{})) already_done();
  }
  void set_exception(std::exception_ptr e) const {
    if (!st_->set_exception(std::move(e))) already_done();
  }

  bool done() const noexcept { return st_->done(); }

  // Waits for the result and returns a copy of it (or rethrows the exception).
  using Waiting = detail::AwaitResult<T, std::shared_ptr<detail::FutureState<T>>, /*kCancelsTask=*/false>;
  Wait<Waiting> wait() const { return Wait<Waiting>(Waiting(st_)); }

 private:
  [[noreturn]] static void already_done() { throw std::logic_error("Future already has a result"); }
  std::shared_ptr<detail::FutureState<T>> st_;
};

}  // namespace runtime
