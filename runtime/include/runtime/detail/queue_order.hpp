// The orders BasicQueue keeps its items in (queue.hpp): first in first out,
// last in first out, smallest first. Each is a container and the two ends of
// it a queue needs; none is thread-safe (the queue's mutex guards it).
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <utility>
#include <vector>

namespace runtime::detail {

// Items in order of arrival, taken from the front (first in, first out) or
// from the back (last in, first out).
template <class T, bool kLastInFirstOut>
class ArrivalOrder {
 public:
  void push(T&& v) { items_.push_back(std::move(v)); }
  T pop() {
    if constexpr (kLastInFirstOut) {
      T v(std::move(items_.back()));
      items_.pop_back();
      return v;
    } else {
      T v(std::move(items_.front()));
      items_.pop_front();
      return v;
    }
  }
  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }

 private:
  std::deque<T> items_;
};
template <class T>
using FifoOrder = ArrivalOrder<T, false>;
template <class T>
using LifoOrder = ArrivalOrder<T, true>;

// A binary heap with the smallest item (by Compare) on top, like Python's
// heapq; items that compare equal come out in no particular order.
template <class T, class Compare>
class PriorityOrder {
 public:
  void push(T&& v) {
    items_.push_back(std::move(v));
    std::push_heap(items_.begin(), items_.end(), Greater{less_});
  }
  T pop() {
    std::pop_heap(items_.begin(), items_.end(), Greater{less_});
    T v(std::move(items_.back()));
    items_.pop_back();
    return v;
  }
  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }

 private:
  // std's heap algorithms keep the largest on top: reversed, the smallest.
  struct Greater {
    const Compare& less;
    bool operator()(const T& a, const T& b) const { return less(b, a); }
  };
  std::vector<T> items_;
  [[no_unique_address]] Compare less_;
};

}  // namespace runtime::detail
