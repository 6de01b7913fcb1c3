// A mutex its owner can switch off when only one thread will ever touch it:
// the state of a task on a one-thread loop has its result recorded on that
// loop's thread and is awaited there only (TaskState::check_awaited_here), so
// its lock would be two atomic instructions per use for nothing.
#pragma once

#include <mutex>

namespace runtime::detail {

class OptionalMutex {
 public:
  // Before the owner is shared with another thread.
  void switch_off() noexcept { on_ = false; }
  bool switched_off() const noexcept { return !on_; }

  void lock() {
    if (on_) m_.lock();
  }
  void unlock() {
    if (on_) m_.unlock();
  }

 private:
  std::mutex m_;
  bool on_ = true;
};

}  // namespace runtime::detail
