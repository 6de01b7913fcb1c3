#include "runtime/task_group.hpp"

#include <boost/asio/this_coro.hpp>

#include "runtime/cancellation.hpp"
#include "runtime/detail/loop.hpp"

namespace runtime {

TaskGroup::TaskGroup(OnFailure mode) : st_(std::make_shared<State>(mode)) {}

TaskGroup::~TaskGroup() { st_->cancel_all(); }

bool TaskGroup::State::task_started(detail::TaskNode& child) noexcept {
  std::lock_guard lk(m);
  ++running;
  children.push_front(&child);
  return failing;  // asyncio refuses new tasks in a failing group; we cancel them
}

void TaskGroup::State::task_done(detail::TaskNode& child, const std::exception_ptr& e) noexcept {
  bool cancel_siblings = false;
  detail::WakeList woken;
  {
    std::lock_guard lk(m);
    --running;
    children.remove(&child);
    if (e && mode == OnFailure::cancel_siblings && !failing && !is_cancellation(e)) {
      failing = cancel_siblings = true;
      first_error = e;
    }
    if (running == 0) woken = joiners.take_all();
  }
  if (cancel_siblings) cancel_all();
  while (auto* w = woken.pop_front()) w->complete({});
}

void TaskGroup::State::cancel_all() noexcept {
  // Under the lock: a linked child is alive (it unlinks itself before its
  // task lets go of it), and cancel() only posts, so nothing re-enters.
  std::lock_guard lk(m);
  children.for_each([](detail::TaskNode& c) { c.cancel(); });
}

void TaskGroup::cancel() noexcept { st_->cancel_all(); }

std::size_t TaskGroup::running() const noexcept {
  std::lock_guard lk(st_->m);
  return st_->running;
}

Task<void> TaskGroup::join() {
  auto st = st_;
  // Named, not a temporary in the co_await: GCC 12 destroys such a lambda
  // twice. Plain pointers: `st` keeps the state alive.
  auto cancel_children = detail::OnCancel::call<&State::cancel_all>(st.get());
  auto all_done = [s = st.get()] { return s->running == 0; };  // called under s->m
  detail::Waiter w;
  co_await detail::park_on(detail::ParkHook<decltype(all_done)>{st->m, st->joiners, all_done, w, &cancel_children});
  w.check();
  std::exception_ptr e;
  {
    std::lock_guard lk(st->m);
    e = st->first_error;
  }
  if (e) std::rethrow_exception(e);
  // Cancelled while joining: the children are cancelled and finished now, and
  // the interrupted join throws like every other interrupted wait (without
  // this, the parent would carry on as if nothing had happened).
  auto cs = co_await boost::asio::this_coro::cancellation_state;
  if (cs.cancelled() != boost::asio::cancellation_type::none) detail::throw_cancelled_of(cs);
}

}  // namespace runtime
