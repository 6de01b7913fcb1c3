#include "runtime/detail/task_node.hpp"

#include <boost/system/system_error.hpp>

#include <mutex>
#include <optional>

#include "runtime/cancellation.hpp"

namespace runtime::detail {

struct TaskNode::Details {
  mutable std::mutex m;
  std::optional<std::string> name;
  CancelMessage message;
};

namespace {
thread_local const TaskNode* delivering_now = nullptr;
}

TaskNode::~TaskNode() { delete details_.load(std::memory_order_relaxed); }

TaskNode::Details* TaskNode::details() const {
  Details* d = details_.load(std::memory_order_acquire);
  if (d) return d;
  auto made = std::make_unique<Details>();
  if (details_.compare_exchange_strong(d, made.get(), std::memory_order_acq_rel, std::memory_order_acquire)) {
    return made.release();
  }
  return d;  // another thread made them first
}

std::string TaskNode::name() const {
  if (Details* d = details_.load(std::memory_order_acquire)) {
    std::lock_guard lk(d->m);
    if (d->name) return *d->name;
  }
  return "Task-" + std::to_string(number_);
}

void TaskNode::set_name(std::string name) {
  Details* d = details();
  std::lock_guard lk(d->m);
  d->name = std::move(name);
}

CancelMessage TaskNode::cancel_message() const {
  Details* d = details_.load(std::memory_order_acquire);
  if (!d) return nullptr;
  std::lock_guard lk(d->m);
  return d->message;
}

void TaskNode::note_cancel(CancelMessage message) noexcept {
  cancel_requests_.fetch_add(1, std::memory_order_acq_rel);
  // A cancel without a message makes no details; it clears an earlier
  // message only where there is one.
  Details* d = message ? details() : details_.load(std::memory_order_acquire);
  if (!d) return;
  std::lock_guard lk(d->m);
  d->message = std::move(message);
}

int TaskNode::uncancel() noexcept {
  int n = cancel_requests_.load(std::memory_order_acquire);
  do {
    if (n == 0) return 0;
  } while (!cancel_requests_.compare_exchange_weak(n, n - 1, std::memory_order_acq_rel));
  if (n == 1) withdraw_cancel();
  return n - 1;
}

const TaskNode* TaskNode::delivering() noexcept { return delivering_now; }

CancelDelivery::CancelDelivery(const TaskNode* t) noexcept : prev_(std::exchange(delivering_now, t)) {}
CancelDelivery::~CancelDelivery() { delivering_now = prev_; }

// Made apart from the throw: an object with a destructor alive at a throw
// (the message, a temporary string) makes the unwinder stop in that frame to
// destroy it and start over, which costs as much as the throw itself.
CancelledError cancelled_error(const TaskNode* source) {
  auto message = source ? source->cancel_message() : nullptr;
  return message ? CancelledError(*message) : CancelledError();
}

void throw_system_error(const boost::system::error_code& ec) { throw boost::system::system_error(ec); }

std::exception_ptr with_cancel_message(std::exception_ptr e, const TaskNode& t) {
  auto message = t.cancel_message();
  if (!message) return e;
  try {
    std::rethrow_exception(e);
  } catch (const CancelledError&) {
    return e;  // thrown by a runtime wait: it has the message already
  } catch (const std::exception& x) {
    if (is_cancellation(x)) return std::make_exception_ptr(CancelledError(*message));
  } catch (...) {
  }
  return e;
}

}  // namespace runtime::detail
