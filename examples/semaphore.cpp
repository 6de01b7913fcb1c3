// 11. semaphore — at most 2 of the 5 tasks hold the resource at once:
//     1 s for 1 and 2, then 3 and 4, then 5: ~3 s.
//
//   import asyncio
//
//   async def access_resource(semaphore, id):
//       async with semaphore:
//           print(f"Accessing resource {id}")
//           await asyncio.sleep(1)
//           return f"Result of {id}"
//
//   async def main():
//       semaphore = asyncio.Semaphore(2)
//       results = await asyncio.gather(*(access_resource(semaphore, i) for i in range(1, 6)))
//       print(results)
//
//   asyncio.run(main())
//
// Output (~3 s):
//   Accessing resource 1
//   Accessing resource 2      (t = 0 s)
//   Accessing resource 3
//   Accessing resource 4      (t = 1 s)
//   Accessing resource 5      (t = 2 s)
//   ['Result of 1', 'Result of 2', 'Result of 3', 'Result of 4', 'Result of 5']
//
// The order is fixed: the semaphore is FIFO, so the tasks queue in start
// order, and a released permit goes straight to the longest waiter; task 1's
// timer expires before task 2's, so 3 is woken before 4. (Only acquisitions
// are printed: a "releasing" line could race the next task's wake-up.)
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "py.hpp"
#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

runtime::Task<std::string> access_resource(runtime::Semaphore& semaphore, int id) {
  auto permit = co_await semaphore.acquire();  // async with semaphore:
  std::cout << "Accessing resource " << id << std::endl;
  co_await runtime::sleep(1s);
  co_return "Result of " + std::to_string(id);
}  // the permit is released here

runtime::Task<void> amain() {
  runtime::Semaphore semaphore(2);
  std::vector<runtime::Task<std::string>> tasks;
  for (int i = 1; i <= 5; ++i) tasks.push_back(access_resource(semaphore, i));
  auto results = co_await runtime::gather(std::move(tasks));
  std::cout << py::str(results) << std::endl;
}

int main() { runtime::run(amain()); }
