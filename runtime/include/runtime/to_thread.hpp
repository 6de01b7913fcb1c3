// to_thread / to_cpu: asyncio.to_thread and run_in_executor(ProcessPoolExecutor).
//
//   auto text = co_await runtime::to_thread([] { return read_file("x"); });  // blocking IO
//   auto sum  = co_await runtime::to_cpu([] { return crunch(); });           // CPU-bound
//
// to_thread runs blocking calls on a pool of threads that mostly wait (sized
// like Python's default executor: min(32, cores + 4)); to_cpu runs CPU-heavy
// work on a pool with one thread per core. C++ threads run truly in parallel
// (there is no GIL), so CPU work needs no process pool, only a thread pool of
// its own that blocking IO cannot starve. The loop stays free meanwhile.
//
// The work itself cannot be interrupted: cancelling the awaiting task stops the
// wait at once and the result, when it comes, is dropped.
#pragma once

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include <boost/asio/post.hpp>

#include "runtime/detail/future_state.hpp"
#include "runtime/task.hpp"

namespace runtime {

namespace detail {
Executor blocking_pool();
Executor cpu_pool();

template <class F>
Task<std::invoke_result_t<F>> run_on(Executor pool, F f) {
  using R = std::invoke_result_t<F>;
  auto st = std::make_shared<FutureState<R>>();
  boost::asio::post(pool, [st, f = std::move(f)]() mutable {
    std::exception_ptr error;
    try {
      if constexpr (std::is_void_v<R>) {
        f();
        st->set_value(None{});
      } else {
        st->set_value(f());
      }
      return;
    } catch (...) {
      error = std::current_exception();
    }
    // Handed over only once the catch block has ended: this thread then holds
    // no reference to the exception, so it is never the one to destroy it
    // while the awaiting task still reads it.
    st->set_exception(std::move(error));
  });
  Waiter w;
  co_await detail::park_on(st->wait_hook(w));
  w.check();
  if constexpr (std::is_void_v<R>) {
    st->take();
  } else {
    co_return st->take();
  }
}
}  // namespace detail

template <class F>
Task<std::invoke_result_t<F>> to_thread(F f) {
  return detail::run_on(detail::blocking_pool(), std::move(f));
}

template <class F>
Task<std::invoke_result_t<F>> to_cpu(F f) {
  return detail::run_on(detail::cpu_pool(), std::move(f));
}

}  // namespace runtime
