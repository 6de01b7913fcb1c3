// Cancellation, asyncio style.
//
// Cancelling a task (TaskHandle::cancel, a TaskGroup failure, a wait_for timeout)
// interrupts whatever it is waiting on: a sleep, a Lock/Semaphore/Event/Queue
// wait, a socket operation. The interrupted co_await throws
// boost::system::system_error with boost::asio::error::operation_aborted, which
// is this runtime's CancelledError; every later co_await in that task throws it
// too, so the task unwinds and its RAII guards give back locks and permits.
//
// The runtime's own waits (its primitives, sleep, awaiting a task or a
// future, to_thread) throw it as runtime::CancelledError, which carries the
// message given to cancel(msg); so does a cancelled task's outcome, as its
// awaiters see it. An Asio operation awaited directly, and the later awaits
// of a cancelled task, throw Asio's plain system_error(operation_aborted).
// is_cancellation() is true for both.
#pragma once

#include <boost/system/system_error.hpp>

#include <exception>
#include <string>

namespace runtime {

// asyncio.CancelledError: a system_error(operation_aborted) with the
// cancel message, if any (what() begins with it).
class CancelledError : public boost::system::system_error {
 public:
  explicit CancelledError(std::string message = {});
  // What cancel(msg) was given; empty when nothing.
  const std::string& message() const noexcept { return message_; }

 private:
  std::string message_;
};

// True when `e` is the cancellation error described above.
bool is_cancellation(const std::exception& e) noexcept;
bool is_cancellation(const std::exception_ptr& e) noexcept;

// Throws the cancellation error (for code that notices cancellation itself).
[[noreturn]] void throw_cancelled();

}  // namespace runtime
