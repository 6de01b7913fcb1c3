// A started task as the loop, its TaskGroup and an AnyTask see it: something
// they can cancel and ask about, linked (intrusively: no allocation) into
// their lists of live tasks, counting its own references.
//
// What asyncio's Task keeps besides its result lives here: a number (its
// default name is "Task-<number>"), the count of cancel requests not taken
// back (cancelling / uncancel), and, made on first use only, a name and a
// cancel message. A task that is never named or cancelled with a message
// pays a null pointer for them.
#pragma once

#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "runtime/cancellation.hpp"

namespace runtime::detail {

struct TaskNode;

struct TaskLinks {
  TaskNode* prev = nullptr;
  TaskNode* next = nullptr;
};

// The text given to cancel(msg), shared by the task and the errors that
// carry it; null for none.
using CancelMessage = std::shared_ptr<const std::string>;

struct TaskNode {
  TaskLinks in_loop;   // the loop's registry of live tasks
  TaskLinks in_group;  // its TaskGroup's running children, if it has a group

  // Asks the task to stop (cancel requests are counted); false when it is
  // done already. Safe from any thread.
  virtual bool cancel(CancelMessage message = nullptr) noexcept = 0;
  virtual bool done() const noexcept = 0;
  // The exception a done task ended with, if any.
  virtual std::exception_ptr exception() const = 0;

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
  }

  std::string name() const;
  void set_name(std::string name);
  int cancelling() const noexcept { return cancel_requests_.load(std::memory_order_acquire); }
  // One cancel request fewer; at zero, the cancellation is withdrawn (see
  // AnyTask::uncancel). Returns the requests left.
  int uncancel() noexcept;
  CancelMessage cancel_message() const;

  // The loop's number for it, from 1 (set when the loop registers it).
  std::uint64_t number() const noexcept { return number_; }
  void set_number(std::uint64_t n) noexcept { number_ = n; }

  // The cancellation state of the task's Asio thread: what identifies the
  // running task to current_task(), and what uncancel() clears. Set when the
  // thread starts, on its own executor.
  void set_thread_state(boost::asio::cancellation_state s) noexcept {
    thread_state_.store(s, std::memory_order_release);
  }
  boost::asio::cancellation_state thread_state() const noexcept {
    return thread_state_.load(std::memory_order_acquire);
  }

  // The task whose cancellation is being emitted on this thread right now
  // (see CancelDelivery), or null: a wait that the emission interrupts
  // records it, to throw CancelledError with the task's message.
  static const TaskNode* delivering() noexcept;

 protected:
  TaskNode() = default;
  ~TaskNode();
  TaskNode(const TaskNode&) = delete;
  TaskNode& operator=(const TaskNode&) = delete;

  // The last reference is gone.
  virtual void destroy() noexcept = 0;
  // uncancel() took the last request back: a cancellation not yet emitted
  // must not be, and one emitted already must stop making the task's awaits
  // throw.
  virtual void withdraw_cancel() noexcept = 0;

  // For cancel(): counts the request and keeps its message (the latest wins,
  // as in asyncio).
  void note_cancel(CancelMessage message) noexcept;

 private:
  struct Details;
  Details* details() const;  // made on first use

  std::atomic<int> refs_ = 1;
  std::atomic<int> cancel_requests_ = 0;
  std::uint64_t number_ = 0;
  mutable std::atomic<Details*> details_ = nullptr;
  std::atomic<boost::asio::cancellation_state> thread_state_{};
};

// Marks, on this thread, the task whose cancellation is being emitted.
class CancelDelivery {
 public:
  explicit CancelDelivery(const TaskNode* t) noexcept;
  ~CancelDelivery();
  CancelDelivery(const CancelDelivery&) = delete;
  CancelDelivery& operator=(const CancelDelivery&) = delete;

 private:
  const TaskNode* prev_;
};

// The CancelledError of a wait that the cancellation of `source` ended: with
// its cancel message, if it has one (and `source` is known).
CancelledError cancelled_error(const TaskNode* source);
[[noreturn]] void throw_system_error(const boost::system::error_code& ec);

// What a runtime wait that ended with `ec` throws: CancelledError (with the
// message of `source`, the task whose cancellation ended it, if known) for
// operation_aborted, system_error otherwise. Inlined into every wait's
// await_resume, so that the exception is thrown from the waiting coroutine's
// own frame: each frame between a throw and its catch costs the unwinder a
// lookup and a personality call in each of its two phases, about as much as
// the throw itself.
[[noreturn, gnu::always_inline]] inline void throw_wait_error(const boost::system::error_code& ec,
                                                              const TaskNode* source) {
  if (ec == boost::asio::error::operation_aborted) throw cancelled_error(source);
  throw_system_error(ec);
}

// `e`, a task's exception, as its awaiters are to see it: a cancellation error
// other than CancelledError (Asio's own) becomes CancelledError with the
// task's cancel message, when it has one.
std::exception_ptr with_cancel_message(std::exception_ptr e, const TaskNode& t);

// A list of tasks through one of their link pairs. Not thread-safe: the
// owner's mutex guards it.
template <TaskLinks TaskNode::*Links>
class TaskList {
 public:
  bool empty() const noexcept { return head_ == nullptr; }

  void push_front(TaskNode* t) noexcept {
    TaskLinks& l = t->*Links;
    l.prev = nullptr;
    l.next = head_;
    if (head_) (head_->*Links).prev = t;
    head_ = t;
  }

  void remove(TaskNode* t) noexcept {
    TaskLinks& l = t->*Links;
    (l.prev ? (l.prev->*Links).next : head_) = l.next;
    if (l.next) (l.next->*Links).prev = l.prev;
    l.prev = l.next = nullptr;
  }

  template <class F>
  void for_each(F f) const {
    for (TaskNode* t = head_; t; t = (t->*Links).next) f(*t);
  }

 private:
  TaskNode* head_ = nullptr;
};

}  // namespace runtime::detail
