// Queue<T>: asyncio.Queue, bounded, for producers and consumers.
//
//   runtime::Queue<int> q(10);      // maxsize 10; 0 means unbounded
//   co_await q.put(1);              // waits while full
//   int v = co_await q.get();       // waits while empty
//
// FIFO for items and for waiters: an item put while consumers wait goes straight
// to the longest-waiting one, and a slot freed while producers wait is filled by
// the longest-waiting producer's item. Cancelling a waiting put or get leaves
// the queue as it was. Safe to share between tasks on several threads.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime {

template <class T>
class Queue {
 public:
  explicit Queue(std::size_t maxsize = 0) : maxsize_(maxsize) {}
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  Task<void> put(T item) {
    {
      std::lock_guard lk(m_);
      if (try_put_locked(item)) co_return;
    }
    // Parked with our item as payload: a get() that frees a slot moves it in.
    co_await detail::park(m_, putters_, [&] { return try_put_locked(item); }, &item);
  }

  Task<T> get() {
    std::optional<T> slot;
    {
      std::lock_guard lk(m_);
      slot = try_get_locked();
    }
    if (!slot) {
      // Parked with `slot` as payload: a put() hands its item straight into it.
      co_await detail::park(m_, getters_, [&] { return (slot = try_get_locked()).has_value(); }, &slot);
    }
    co_return std::move(*slot);
  }

  // Without waiting: false / nullopt when full / empty.
  bool try_put(T item) {
    std::lock_guard lk(m_);
    return try_put_locked(item);
  }
  std::optional<T> try_get() {
    std::lock_guard lk(m_);
    return try_get_locked();
  }

  std::size_t size() const {
    std::lock_guard lk(m_);
    return items_.size();
  }
  bool empty() const { return size() == 0; }
  bool full() const {
    std::lock_guard lk(m_);
    return full_locked();
  }
  std::size_t maxsize() const noexcept { return maxsize_; }

 private:
  bool full_locked() const { return maxsize_ != 0 && items_.size() >= maxsize_; }

  bool try_put_locked(T& item) {
    if (auto* g = getters_.pop_front()) {  // a waiting consumer means the queue is empty
      *static_cast<std::optional<T>*>(g->payload) = std::move(item);
      g->complete({});
      return true;
    }
    if (full_locked() || !putters_.empty()) return false;
    items_.push_back(std::move(item));
    return true;
  }

  std::optional<T> try_get_locked() {
    if (items_.empty()) return std::nullopt;
    std::optional<T> v(std::move(items_.front()));
    items_.pop_front();
    if (auto* p = putters_.pop_front()) {  // the freed slot goes to the longest-waiting producer
      items_.push_back(std::move(*static_cast<T*>(p->payload)));
      p->complete({});
    }
    return v;
  }

  mutable std::mutex m_;
  const std::size_t maxsize_;
  std::deque<T> items_;
  detail::WaitQueue getters_;
  detail::WaitQueue putters_;
};

}  // namespace runtime
