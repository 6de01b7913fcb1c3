#include "runtime/sleep.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace runtime {

Task<void> sleep(std::chrono::steady_clock::duration d) {
  if (d <= d.zero()) co_return co_await yield();
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

Task<void> yield() {
  co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
}

}  // namespace runtime
