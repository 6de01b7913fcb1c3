#include "runtime/sleep.hpp"

#include <boost/asio/steady_timer.hpp>

#include "runtime/detail/asio_path.hpp"

namespace runtime {

Task<void> sleep(std::chrono::steady_clock::duration d) {
  if (d <= d.zero()) {
    co_await detail::yield_op(co_await boost::asio::this_coro::executor);
    co_return;
  }
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

Task<void> yield() { co_await detail::yield_op(co_await boost::asio::this_coro::executor); }

}  // namespace runtime
