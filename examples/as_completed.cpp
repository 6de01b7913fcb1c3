// as_completed — four fetches, their results taken as they finish, not in the
// order they were started; a failed one does not end the iteration: ~0.3 s.
// (Tokio's JoinSet::join_next too; `async for` over as_completed yields the
// tasks themselves from Python 3.13 on.)
//
//   import asyncio
//
//   async def fetch_data(id, delay):
//       await asyncio.sleep(delay)
//       if id == 3:
//           raise RuntimeError(f"fetch {id} failed")
//       return f"Result of {id}"
//
//   async def main():
//       tasks = [asyncio.create_task(fetch_data(id, delay))
//                for id, delay in ((1, 0.3), (2, 0.1), (3, 0.2), (4, 0.15))]
//       async for task in asyncio.as_completed(tasks):
//           try:
//               print(f"tasks[{tasks.index(task)}]: {task.result()}")
//           except RuntimeError as e:
//               print(f"tasks[{tasks.index(task)}] failed: {e}")
//
//   asyncio.run(main())
//
// Output (~0.3 s):
//   tasks[1]: Result of 2          (t = 0.1 s)
//   tasks[3]: Result of 4          (t = 0.15 s)
//   tasks[2] failed: fetch 3 failed  (t = 0.2 s)
//   tasks[0]: Result of 1          (t = 0.3 s)
//
// The order is fixed: the delays keep every two finishes 50 ms apart. Where
// asyncio yields the tasks, next() gives each one's index and its Outcome.
// Unlike asyncio's, and like a JoinSet, an iteration left before the end
// (a break, an exception) cancels the tasks still running (see
// runtime/as_completed.hpp); this one runs to the end, so nothing differs.
#include <chrono>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

runtime::Task<std::string> fetch_data(int id, std::chrono::milliseconds delay) {
  co_await runtime::sleep(delay);
  if (id == 3) throw std::runtime_error("fetch " + std::to_string(id) + " failed");
  co_return "Result of " + std::to_string(id);
}

runtime::Task<void> amain() {
  std::vector<runtime::Task<std::string>> tasks;
  for (auto [id, delay] : {std::pair{1, 300ms}, std::pair{2, 100ms}, std::pair{3, 200ms}, std::pair{4, 150ms}})
    tasks.push_back(fetch_data(id, delay));
  auto results = runtime::as_completed(std::move(tasks));  // they start now
  while (auto done = co_await results.next()) {
    try {
      const std::string& result = done->outcome.value();  // rethrows that task's exception
      std::cout << "tasks[" << done->index << "]: " << result << std::endl;
    } catch (const std::runtime_error& e) {
      std::cout << "tasks[" << done->index << "] failed: " << e.what() << std::endl;
    }
  }
}

int main() { runtime::run(amain()); }
