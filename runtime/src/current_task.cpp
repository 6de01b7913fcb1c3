#include "runtime/current_task.hpp"

#include <boost/asio/this_coro.hpp>

#include "runtime/detail/loop.hpp"

namespace runtime {

Task<AnyTask> current_task() {
  auto cs = co_await boost::asio::this_coro::cancellation_state;
  co_return AnyTask(detail::Loop::current().find(cs));
}

std::vector<AnyTask> all_tasks() {
  std::vector<AnyTask> out;
  for (auto& t : detail::Loop::current().live_tasks()) out.push_back(AnyTask(std::move(t)));
  return out;
}

}  // namespace runtime
