#include "runtime/task_group.hpp"

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
    children.push_back(child);
    cancel_now = failing;  // asyncio refuses new tasks in a failing group; we cancel them
  }
  if (cancel_now) child->cancel();
}

void TaskGroup::State::child_done(const std::exception_ptr& e) {
  bool cancel_siblings = false;
  detail::WaitQueue woken;
  {
    std::lock_guard lk(m);
    --running;
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
    snapshot = children;
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
  co_await detail::park(st->m, st->joiners, [&] { return st->running == 0; }, nullptr,
                        [st] { st->cancel_all(); });
  std::exception_ptr e;
  {
    std::lock_guard lk(st->m);
    e = st->first_error;
  }
  if (e) std::rethrow_exception(e);
}

}  // namespace runtime
