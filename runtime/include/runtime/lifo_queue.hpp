// LifoQueue<T>: asyncio.LifoQueue. A Queue (queue.hpp: maxsize, waiting put
// and get, task_done / join / shutdown, QueueShutDown) whose get() returns the
// item put last.
//
//   runtime::LifoQueue<int> stack;
//   co_await stack.put(1);
//   co_await stack.put(2);
//   int top = co_await stack.get();   // 2
#pragma once

#include "runtime/detail/queue_order.hpp"
#include "runtime/queue.hpp"

namespace runtime {

template <class T>
using LifoQueue = BasicQueue<T, detail::LifoOrder<T>>;

}  // namespace runtime
