#include "runtime/sleep.hpp"

#include <boost/asio/steady_timer.hpp>

#include "runtime/detail/resume.hpp"

namespace runtime {

namespace {
// The co_await hook behind yield (see detail::ParkHook): detaches the
// coroutine's thread and posts its resumption to its own executor, the
// cheapest trip through the loop (no use_awaitable initiation frame).
struct YieldHook {
  detail::Thread* operator()(detail::Frame* frame) const {
    detail::Resumer::result_type unused;
    detail::Resumer r(frame->detach_thread(), unused);
    auto ex = r.get_executor();
    detail::post_to(ex, [r = std::move(r)]() mutable { r(); });
    return nullptr;
  }
};
}  // namespace

Task<void> sleep(std::chrono::steady_clock::duration d) {
  if (d <= d.zero()) {
    co_await YieldHook{};
    co_return;
  }
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

Task<void> yield() { co_await YieldHook{}; }

}  // namespace runtime
