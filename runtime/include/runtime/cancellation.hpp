// Cancellation, asyncio style.
//
// Cancelling a task (TaskHandle::cancel, a TaskGroup failure, a wait_for timeout)
// interrupts whatever it is waiting on: a sleep, a Lock/Semaphore/Event/Queue
// wait, a socket operation. The interrupted co_await throws
// boost::system::system_error with boost::asio::error::operation_aborted, which
// is this runtime's CancelledError; every later co_await in that task throws it
// too, so the task unwinds and its RAII guards give back locks and permits.
#pragma once

#include <exception>

namespace runtime {

// True when `e` is the cancellation error described above.
bool is_cancellation(const std::exception& e) noexcept;
bool is_cancellation(const std::exception_ptr& e) noexcept;

// Throws the cancellation error (for code that notices cancellation itself).
[[noreturn]] void throw_cancelled();

}  // namespace runtime
