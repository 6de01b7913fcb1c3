// wait_for: asyncio.wait_for / asyncio.timeout. A deadline on any awaitable.
//
//   auto body = co_await runtime::wait_for(fetch(url), 2s);   // throws TimeoutError
//
// On expiry the awaited work is cancelled (its pending waits throw, its locks
// and permits are returned), and once it has finished, TimeoutError is thrown.
// Work that completes first wins, even if the deadline passes during clean-up.
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <type_traits>

#include "runtime/cancellation.hpp"
#include "runtime/create_task.hpp"
#include "runtime/detail/direct_wait.hpp"
#include "runtime/task.hpp"

namespace runtime {

struct TimeoutError : std::runtime_error {
  TimeoutError() : std::runtime_error("timed out") {}
};

template <detail::TaskValue T>
Task<T> wait_for(Task<T> work, std::chrono::steady_clock::duration limit) {
  auto child = create_task(std::move(work));
  auto expired = std::make_shared<std::atomic<bool>>(false);
  boost::asio::steady_timer deadline(co_await boost::asio::this_coro::executor, limit);
  deadline.async_wait([child, expired](boost::system::error_code ec) {
    if (!ec) {
      expired->store(true);
      child.cancel();
    }
  });
  try {
    if constexpr (std::is_void_v<T>) {
      co_await child.wait();
      deadline.cancel();
      co_return;
    } else {
      auto v = co_await child.wait();
      deadline.cancel();
      co_return v;
    }
  } catch (const std::exception& e) {
    deadline.cancel();
    if (expired->load() && is_cancellation(e)) throw TimeoutError();
    throw;
  }
}

template <detail::TaskValue T, class Rep, class Period>
Task<T> wait_for(Task<T> work, std::chrono::duration<Rep, Period> limit) {
  return wait_for(std::move(work), std::chrono::duration_cast<std::chrono::steady_clock::duration>(limit));
}

// A deadline on a primitive's wait: `co_await wait_for(event.wait(), 1s)`.
template <class Op, class Rep, class Period>
Task<typename Op::result_type> wait_for(Wait<Op> w, std::chrono::duration<Rep, Period> limit) {
  return wait_for(detail::as_task(std::move(w)),
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(limit));
}

}  // namespace runtime
