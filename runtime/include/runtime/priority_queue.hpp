// PriorityQueue<T>: asyncio.PriorityQueue. A Queue (queue.hpp: maxsize,
// waiting put and get, task_done / join / shutdown, QueueShutDown) whose get()
// returns the smallest item, by Compare (std::less: the lowest first, as with
// Python's heapq).
//
//   runtime::PriorityQueue<std::pair<int, std::string>> jobs;
//   co_await jobs.put({2, "later"});
//   co_await jobs.put({1, "first"});
//   auto [priority, job] = co_await jobs.get();   // {1, "first"}
//
// Items that compare equal come out in no particular order; as in Python,
// put (priority, sequence number, item) to keep them first in, first out.
#pragma once

#include <functional>

#include "runtime/detail/queue_order.hpp"
#include "runtime/queue.hpp"

namespace runtime {

template <class T, class Compare = std::less<T>>
using PriorityQueue = BasicQueue<T, detail::PriorityOrder<T, Compare>>;

}  // namespace runtime
