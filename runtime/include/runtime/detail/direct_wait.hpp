// Wait<Op>: what Lock::acquire, Semaphore::acquire, Event::wait and the task
// and future waits return. `co_await` on it costs no coroutine frame.
//
// Those waits used to be coroutines (Task<Guard> and the like), and a
// coroutine frame costs more than an uncontended acquire itself (~15 ns
// against a few). Asio's coroutine promise (awaitable_frame::await_transform,
// Boost 1.81) accepts any awaitable<T, Executor>, checks for cancellation and
// hands it back unchanged to be awaited; awaitable<WaitOp<Op>, Executor>,
// specialised below, is therefore awaited through its own members: the
// resource is claimed in await_ready when it is free (no suspension at all),
// and otherwise the coroutine parks through ParkHook right after it has
// suspended, exactly as the coroutine's own wait did before.
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

#include <boost/asio/awaitable.hpp>
#include <boost/version.hpp>

#include <cassert>
#include <type_traits>
#include <utility>

#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime {
namespace detail {
template <class Op>
struct WaitOp {};

// True for the value type of a Wait: the functions that take a Task<T> leave
// Wait<Op> (which is an awaitable<WaitOp<Op>>) to their Wait overloads.
template <class T>
inline constexpr bool is_wait_op = false;
template <class Op>
inline constexpr bool is_wait_op<WaitOp<Op>> = true;
template <class T>
concept TaskValue = !is_wait_op<T>;
}  // namespace detail

template <class Op>
using Wait = boost::asio::awaitable<detail::WaitOp<Op>, Executor>;

}  // namespace runtime

// What the specialisation relies on; check it again before moving off 1.81.
static_assert(BOOST_VERSION / 100 == 1081,
              "runtime::Wait relies on Boost 1.81's awaitable_frame_base::await_transform(awaitable<T>) "
              "returning its argument unchanged (boost/asio/impl/awaitable.hpp)");

namespace boost::asio {

template <class Op>
class awaitable<runtime::detail::WaitOp<Op>, runtime::Executor> {
 public:
  using value_type = typename Op::result_type;
  using executor_type = runtime::Executor;

  explicit awaitable(Op op) noexcept(std::is_nothrow_move_constructible_v<Op>) : op_(std::move(op)) {}
  // Moved only before it is awaited (await_transform takes and returns it by
  // value); the waiter is never linked then.
  awaitable(awaitable&& o) noexcept(std::is_nothrow_move_constructible_v<Op>) : op_(std::move(o.op_)) {
    o.moved_from_ = true;
  }
  awaitable& operator=(awaitable&&) = delete;

  bool await_ready() noexcept {
    assert(!moved_from_ && "a Wait is awaited once, where it was made or moved to");
    return op_.try_now();
  }

  template <class U>
  void await_suspend(detail::coroutine_handle<detail::awaitable_frame<U, runtime::Executor>> h) noexcept {
    frame_ = &h.promise();
    frame_->after_suspend(&park, this);
  }

  value_type await_resume() {
    waiter_.check();
    return op_.result();
  }

 private:
  static void park(void* self) {
    auto* a = static_cast<awaitable*>(self);
    a->op_.park_hook(a->waiter_)(a->frame_);
  }

  Op op_;
  runtime::detail::Waiter waiter_;
  runtime::detail::Frame* frame_ = nullptr;
  bool moved_from_ = false;
};

}  // namespace boost::asio

namespace runtime::detail {

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
