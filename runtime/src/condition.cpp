#include "runtime/condition.hpp"

#include <stdexcept>
#include <string>

#include "runtime/cancellation.hpp"

namespace runtime {

Condition::Condition() : own_(std::in_place), lock_(*own_) {}

Condition::Condition(Lock& lock) noexcept : lock_(lock) {}

Wait<Condition::Waiting> Condition::wait(Lock::Guard& guard) {
  if (guard.lock_ != &lock_) throw std::logic_error("cannot wait on un-acquired lock");
  return Wait<Waiting>(Waiting{this});
}

void Condition::notify(std::size_t n) {
  check_locked("notify");
  std::lock_guard lk(mutex());
  wake_locked(n);
}

void Condition::notify_all() {
  check_locked("notify");
  std::lock_guard lk(mutex());
  wake_locked(waiters_.size());
}

std::size_t Condition::waiters() const noexcept {
  std::lock_guard lk(mutex());
  return waiters_.size();
}

void Condition::check_locked(const char* what) const {
  if (!lock_.locked()) throw std::logic_error(std::string("cannot ") + what + " on un-acquired lock");
}

// Under mutex(): the n longest waiters are notified and queue for the lock.
void Condition::wake_locked(std::size_t n) {
  for (; n > 0; --n) {
    detail::Waiter* w = waiters_.pop_front();
    if (!w) return;
    auto* op = static_cast<Waiting*>(w->payload);
    op->in_condition_queue = false;
    op->stage = Waiting::Stage::notified;
    queue_for_lock_locked(*w);
  }
}

// Under mutex(). The waiter is resumed when the lock is handed to it, or now
// when it is free.
void Condition::queue_for_lock_locked(detail::Waiter& w) {
  if (lock_.take_or_queue_locked()) {
    w.complete({});
  } else {
    lock_.waiters_.push_back(&w);
  }
}

// On the waiting task's executor, inside the emission of its cancellation.
void Condition::cancel(Waiting& op, detail::Waiter& w) {
  std::lock_guard lk(mutex());
  op.cancelled_by = detail::TaskNode::delivering();
  if (op.in_condition_queue) {
    // Not notified: it leaves the waiters and waits for the lock instead.
    waiters_.remove(&w);
    op.in_condition_queue = false;
    op.stage = Waiting::Stage::cancelled;
    queue_for_lock_locked(w);
  } else if (op.stage == Waiting::Stage::notified) {
    // Queued for the lock, or handed it and not yet resumed: it keeps waiting.
    op.stage = Waiting::Stage::notified_then_cancelled;
  }
}

// With the lock held again, for a wait that the task's cancellation ended.
void Condition::end_cancelled(const Waiting& op) {
  if (op.stage == Waiting::Stage::notified_then_cancelled) {
    std::lock_guard lk(mutex());
    wake_locked(1);  // the notification goes to the next waiter
  }
  auto message = op.cancelled_by ? op.cancelled_by->cancel_message() : nullptr;
  throw CancelledError(message ? *message : std::string());
}

}  // namespace runtime
