// 9. task_group — structured concurrency: the group's scope ends only when all
//    of its 10 tasks are done; they run together: ~1 s.
//
//   import asyncio
//
//   async def fetch_data(id, delay):
//       print(f"Fetching data {id}")
//       await asyncio.sleep(delay)
//       print(f"Fetched data {id}!")
//       return f"Result of {id}"
//
//   async def main():
//       tasks = []
//       async with asyncio.TaskGroup() as tg:
//           for i in range(1, 11):
//               tasks.append(tg.create_task(fetch_data(i, 1)))
//       results = [task.result() for task in tasks]
//       print(results)
//
//   asyncio.run(main())
//
// Output (~1 s):
//   Fetching data 1
//   ...                 (2 to 9)
//   Fetching data 10
//   Fetched data 1!
//   ...                 (2 to 9)
//   Fetched data 10!
//   ['Result of 1', 'Result of 2', ..., 'Result of 10']
//
// The tasks start in creation order on the one loop thread, so their timers
// are armed, and expire, in that order too.
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "py.hpp"
#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

runtime::Task<std::string> fetch_data(int id, std::chrono::milliseconds delay) {
  std::cout << "Fetching data " << id << std::endl;
  co_await runtime::sleep(delay);
  std::cout << "Fetched data " << id << "!" << std::endl;
  co_return "Result of " + std::to_string(id);
}

runtime::Task<void> amain() {
  std::vector<runtime::TaskHandle<std::string>> tasks;
  {
    runtime::TaskGroup tg;  // async with asyncio.TaskGroup() as tg:
    for (int i = 1; i <= 10; ++i) tasks.push_back(tg.create_task(fetch_data(i, 1s)));
    co_await tg.join();  // the end of the `async with` block (C++ has no async destructor)
  }
  std::vector<std::string> results;
  for (auto& task : tasks) results.push_back(task.result());
  std::cout << py::str(results) << std::endl;
}

int main() { runtime::run(amain()); }
