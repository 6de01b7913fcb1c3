#include "runtime/task_group.hpp"

#include <boost/asio/this_coro.hpp>

#include "runtime/cancellation.hpp"

namespace runtime {

TaskGroup::TaskGroup(OnFailure mode) : st_(std::make_shared<State>(mode)) {}

TaskGroup::~TaskGroup() { st_->cancel_all(); }

void TaskGroup::State::child_started() {
  std::lock_guard lk(m);
  ++running;
}

void TaskGroup::State::adopt(std::shared_ptr<detail::TaskNode> child) {
  bool cancel_now;
  {
    std::lock_guard lk(m);
    if (finished.erase(child.get())) return;  // done already: nothing to keep or cancel
    children.emplace(child.get(), child);
    cancel_now = failing;  // asyncio refuses new tasks in a failing group; we cancel them
  }
  if (cancel_now) child->cancel();
}

void TaskGroup::State::child_done(detail::TaskNode& child, const std::exception_ptr& e) {
  bool cancel_siblings = false;
  detail::WaitQueue woken;
  std::shared_ptr<detail::TaskNode> forgotten;  // released outside the lock
  {
    std::lock_guard lk(m);
    --running;
    if (auto it = children.find(&child); it != children.end()) {
      forgotten = std::move(it->second);
      children.erase(it);
    } else {
      finished.insert(&child);
    }
    if (e && mode == OnFailure::cancel_siblings && !failing && !is_cancellation(e)) {
      failing = cancel_siblings = true;
      first_error = e;
    }
    if (running == 0) {
      while (auto* w = joiners.pop_front()) woken.push_back(w);
    }
  }
  if (cancel_siblings) cancel_all();
  while (auto* w = woken.pop_front()) w->complete({});
}

void TaskGroup::State::cancel_all() noexcept {
  std::vector<std::shared_ptr<detail::TaskNode>> snapshot;
  {
    std::lock_guard lk(m);
    snapshot.reserve(children.size());
    for (auto& [_, c] : children) snapshot.push_back(c);
  }
  for (auto& c : snapshot) c->cancel();  // a no-op for children already done
}

void TaskGroup::cancel() noexcept { st_->cancel_all(); }

std::size_t TaskGroup::running() const noexcept {
  std::lock_guard lk(st_->m);
  return st_->running;
}

Task<void> TaskGroup::join() {
  auto st = st_;
  // Named, not a temporary in the co_await: GCC 12 destroys such a lambda
  // twice (see TaskHandle::wait).
  detail::OnCancel cancel_children = [st] { st->cancel_all(); };
  co_await detail::park(st->m, st->joiners, [&] { return st->running == 0; }, nullptr,
                        std::move(cancel_children));
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
  if (cs.cancelled() != boost::asio::cancellation_type::none) throw_cancelled();
}

}  // namespace runtime
