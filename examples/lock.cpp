// 10. lock — a Lock makes read-sleep-write on shared state safe: each task
//     holds the lock across its sleep, so the tasks see 0, 1, 2, ... in turn.
//
//   import asyncio
//
//   counter = 0
//   lock = asyncio.Lock()
//
//   async def increment(id):
//       global counter
//       async with lock:
//           value = counter
//           print(f"Task {id} sees counter {value}")
//           await asyncio.sleep(0.1)      # other tasks run here, but wait for the lock
//           counter = value + 1
//
//   async def main():
//       await asyncio.gather(*(increment(i) for i in range(1, 6)))
//       print(f"Final counter: {counter}")
//
//   asyncio.run(main())
//
// Output (~0.5 s):
//   Task 1 sees counter 0
//   Task 2 sees counter 1
//   Task 3 sees counter 2
//   Task 4 sees counter 3
//   Task 5 sees counter 4
//   Final counter: 5
//
// Without the lock every task would read 0 before any writes back, print
// "sees counter 0" five times, and the final counter would be 1. The lock is
// FIFO: the tasks queue for it in start order, so they get it in that order.
#include <chrono>
#include <iostream>
#include <vector>

#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

int counter = 0;
runtime::Lock lock;

runtime::Task<void> increment(int id) {
  auto guard = co_await lock.acquire();  // async with lock: (released when guard dies)
  int value = counter;
  std::cout << "Task " << id << " sees counter " << value << std::endl;
  co_await runtime::sleep(100ms);
  counter = value + 1;
}

runtime::Task<void> amain() {
  std::vector<runtime::Task<void>> tasks;
  for (int i = 1; i <= 5; ++i) tasks.push_back(increment(i));
  co_await runtime::gather(std::move(tasks));
  std::cout << "Final counter: " << counter << std::endl;
}

int main() { runtime::run(amain()); }
