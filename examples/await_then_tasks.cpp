// 7. await_then_tasks — awaiting a task right after creating it serialises it;
//    the next two then run together: 1 s + 1 s = ~2 s.
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
//       task1 = asyncio.create_task(fetch_data(1, 1))
//       result1 = await task1
//       task2 = asyncio.create_task(fetch_data(2, 1))
//       task3 = asyncio.create_task(fetch_data(3, 1))
//       result2 = await task2
//       result3 = await task3
//       print((result1, result2, result3))
//
//   asyncio.run(main())
//
// Output (~2 s):
//   Fetching data 1
//   Fetched data 1!
//   Fetching data 2
//   Fetching data 3
//   Fetched data 2!
//   Fetched data 3!
//   ('Result of 1', 'Result of 2', 'Result of 3')
//
// Tasks 2 and 3 start in creation order on the one loop thread, so task 2's
// 1 s timer is armed first and expires first: "Fetched data 2!" comes first.
#include <chrono>
#include <iostream>
#include <string>
#include <tuple>

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
  auto task1 = runtime::create_task(fetch_data(1, 1s));
  auto result1 = co_await task1.wait();
  auto task2 = runtime::create_task(fetch_data(2, 1s));
  auto task3 = runtime::create_task(fetch_data(3, 1s));
  auto result2 = co_await task2.wait();
  auto result3 = co_await task3.wait();
  std::cout << py::str(std::tuple{result1, result2, result3}) << std::endl;
}

int main() { runtime::run(amain()); }
