// Queue<T>: asyncio.Queue, bounded, for producers and consumers, with
// Python 3.13's task_done / join / shutdown. LifoQueue and PriorityQueue
// (lifo_queue.hpp, priority_queue.hpp) are the same queue in another order.
//
//   runtime::Queue<int> q(10);      // maxsize 10; 0 means unbounded
//   co_await q.put(1);              // waits while full
//   int v = co_await q.get();       // waits while empty
//   q.task_done();                  // one item fully processed
//   co_await q.join();              // waits until every item put is done
//   q.shutdown();                   // no more puts; gets drain what is left
//
// FIFO for waiters: an item put while consumers wait goes straight to the
// longest-waiting one, and a slot freed while producers wait is filled by
// the longest-waiting producer's item. Cancelling a waiting put or get
// leaves the queue as it was. Safe to share between tasks on several threads.
//
// Every item accepted (put, try_put, or a waiting producer's item moved in)
// counts as unfinished until task_done() is called for it; join() returns
// once none is. After shutdown(), put and try_put throw QueueShutDown, and so
// do the puts waiting then; get and try_get go on returning the items left and
// throw QueueShutDown once there are none (the gets waiting then throw at
// once: a get waits only on an empty queue). shutdown(true) also drops the
// items left, counting each as done, so join() returns when only those were
// unfinished.
#pragma once

#include <boost/asio/error.hpp>

#include <cstddef>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include "runtime/detail/queue_order.hpp"
#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime {

// asyncio.QueueShutDown: a put or get on a queue that is shut down.
struct QueueShutDown : std::runtime_error {
  QueueShutDown() : std::runtime_error("queue shut down") {}
};

template <class T, class Order>
class BasicQueue {
 public:
  explicit BasicQueue(std::size_t maxsize = 0) : maxsize_(maxsize) {}
  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;

  Task<void> put(T item) {
    Offer o;
    {
      std::lock_guard lk(m_);
      o = offer_locked(item);
    }
    if (o == Offer::full) {
      // Parked with our item as payload: a get() that frees a slot moves it in.
      detail::Waiter w;
      w.payload = &item;
      auto ready = [&] { return (o = offer_locked(item)) != Offer::full; };
      co_await detail::park_on(detail::ParkHook<decltype(ready)>{m_, putters_, ready, w});
      if (woken_by_shutdown(w)) o = Offer::shut_down;
    }
    if (o == Offer::shut_down) throw QueueShutDown();
  }

  Task<T> get() {
    std::optional<T> slot;
    bool shut;
    {
      std::lock_guard lk(m_);
      slot = take_locked();
      shut = shut_down_;
    }
    if (!slot && !shut) {
      // Parked with `slot` as payload: a put() hands its item straight into it.
      detail::Waiter w;
      w.payload = &slot;
      auto ready = [&] { return (slot = take_locked()).has_value() || shut_down_; };
      co_await detail::park_on(detail::ParkHook<decltype(ready)>{m_, getters_, ready, w});
      woken_by_shutdown(w);  // then `slot` is empty
    }
    if (!slot) throw QueueShutDown();
    co_return std::move(*slot);
  }

  // Without waiting: false / nullopt when full / empty. After shutdown()
  // try_put throws QueueShutDown, and so does try_get on an empty queue.
  bool try_put(T item) {
    std::lock_guard lk(m_);
    const Offer o = offer_locked(item);
    if (o == Offer::shut_down) throw QueueShutDown();
    return o == Offer::accepted;
  }
  std::optional<T> try_get() {
    std::lock_guard lk(m_);
    auto v = take_locked();
    if (!v && shut_down_) throw QueueShutDown();
    return v;
  }

  // One item taken out earlier is fully processed. std::logic_error when
  // called more often than items were accepted (asyncio's ValueError).
  void task_done() {
    detail::WakeList woken;
    {
      std::lock_guard lk(m_);
      if (unfinished_ == 0) throw std::logic_error("task_done() called too many times");
      if (--unfinished_ == 0) woken = joiners_.take_all();
    }
    while (auto* w = woken.pop_front()) w->complete({});
  }

  // Waits until every item accepted has been marked done (at once when none
  // is unfinished).
  Task<void> join() {
    return detail::park(m_, joiners_, [this] { return unfinished_ == 0; });
  }

  // See above. A second call changes nothing but may drop more items.
  void shutdown(bool immediate = false) {
    Order dropped;
    detail::WakeList getters, putters, joiners;
    {
      std::lock_guard lk(m_);
      shut_down_ = true;
      if (immediate) {
        dropped = std::exchange(items_, Order{});
        unfinished_ -= std::min(unfinished_, dropped.size());
        if (unfinished_ == 0) joiners = joiners_.take_all();
      }
      getters = getters_.take_all();
      putters = putters_.take_all();
    }
    while (auto* w = getters.pop_front()) w->complete(kShutDown);
    while (auto* w = putters.pop_front()) w->complete(kShutDown);
    while (auto* w = joiners.pop_front()) w->complete({});
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
  enum class Offer { accepted, full, shut_down };
  // What a waiting put or get is woken with by shutdown().
  static constexpr boost::asio::error::basic_errors kShutDown = boost::asio::error::shut_down;

  bool full_locked() const { return maxsize_ != 0 && items_.size() >= maxsize_; }

  // A parked put or get is over: shutdown() woke it (true: its caller throws
  // QueueShutDown), or it was cancelled (this throws), or its item went
  // through.
  static bool woken_by_shutdown(const detail::Waiter& w) {
    if (w.ec == kShutDown) return true;
    w.check();
    return false;
  }

  // Never throws QueueShutDown itself: it also runs inside a ParkHook, where
  // the coroutine is already suspended.
  Offer offer_locked(T& item) {
    if (shut_down_) return Offer::shut_down;
    if (auto* g = getters_.pop_front()) {  // a waiting consumer means the queue is empty
      *static_cast<std::optional<T>*>(g->payload) = std::move(item);
      ++unfinished_;
      g->complete({});
      return Offer::accepted;
    }
    if (full_locked() || !putters_.empty()) return Offer::full;
    items_.push(std::move(item));
    ++unfinished_;
    return Offer::accepted;
  }

  std::optional<T> take_locked() {
    if (items_.empty()) return std::nullopt;
    std::optional<T> v(items_.pop());
    if (auto* p = putters_.pop_front()) {  // the freed slot goes to the longest-waiting producer
      items_.push(std::move(*static_cast<T*>(p->payload)));
      ++unfinished_;
      p->complete({});
    }
    return v;
  }

  mutable std::mutex m_;
  const std::size_t maxsize_;
  Order items_;
  std::size_t unfinished_ = 0;  // accepted and not yet task_done()
  bool shut_down_ = false;
  detail::WaitQueue getters_;
  detail::WaitQueue putters_;
  detail::WaitQueue joiners_;
};

template <class T>
using Queue = BasicQueue<T, detail::FifoOrder<T>>;

}  // namespace runtime
