// ThreadFrame: the return type of the coroutine at the bottom of a task's
// Asio "awaitable thread" (TaskState::drive, GatherRun::drive). It is Asio's
// awaitable<awaitable_thread_entry_point>, with its frames taken from a
// per-thread free list (FramePool) instead of malloc.
//
// Why: Asio recycles coroutine frames through a cache of 8 blocks per thread,
// shared by frames of every size. A gather of 1000 tasks keeps 1000 bottom
// frames alive at once; malloc then served them from its slow path (they are
// too big for its fast bins), and that was a third of gather's time.
//
// How (Boost 1.81 detail API, like direct_wait.hpp): ThreadFrame names its own
// promise type, Asio's entry-point promise plus an operator new/delete. The
// promise adds no data, so Asio's own code, which sees only its base, finds
// everything where it expects it.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <coroutine>
#include <cstddef>
#include <utility>

#include "runtime/task.hpp"

namespace runtime::detail {

// Blocks of up to 1 KiB, by 64-byte size class, kept per thread for reuse
// (up to 256 KiB per class and thread; the rest go back to malloc).
struct FramePool {
  static void* allocate(std::size_t n);
  static void deallocate(void* p, std::size_t n) noexcept;
  static bool pooled() noexcept;  // false under AddressSanitizer: every frame to malloc
};

using EntryPoint = boost::asio::awaitable<boost::asio::detail::awaitable_thread_entry_point, Executor>;

class ThreadFrame : public EntryPoint {
 public:
  explicit ThreadFrame(EntryPoint&& e) noexcept : EntryPoint(std::move(e)) {}

  class promise_type : public boost::asio::detail::awaitable_frame<
                           boost::asio::detail::awaitable_thread_entry_point, Executor> {
   public:
    static void* operator new(std::size_t n) { return FramePool::allocate(n); }
    static void operator delete(void* p, std::size_t n) noexcept { FramePool::deallocate(p, n); }
    ThreadFrame get_return_object() { return ThreadFrame(awaitable_frame::get_return_object()); }

    // Asio's awaitables suspend with a handle to Asio's promise type; this
    // hands them one, to the same frame.
    template <class A>
    auto await_transform(A&& a) {
      using Inner = decltype(awaitable_frame::await_transform(std::forward<A>(a)));
      struct Adapter {
        Inner inner;
        bool await_ready() { return inner.await_ready(); }
        auto await_suspend(std::coroutine_handle<promise_type> h) {
          return inner.await_suspend(std::coroutine_handle<awaitable_frame>::from_address(h.address()));
        }
        decltype(auto) await_resume() { return inner.await_resume(); }
      };
      return Adapter{awaitable_frame::await_transform(std::forward<A>(a))};
    }
  };
  // Asio finds the promise from a handle to its own promise type (its
  // get_return_object, our await_transform): the two must be laid out alike.
  static_assert(sizeof(promise_type) == sizeof(promise_type::awaitable_frame) &&
                alignof(promise_type) == alignof(promise_type::awaitable_frame));
};

}  // namespace runtime::detail
