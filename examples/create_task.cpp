// 6. create_task — tasks start at once and run concurrently: ~1 s.
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
//       task2 = asyncio.create_task(fetch_data(2, 1))
//       result1 = await task1
//       result2 = await task2
//       print(result1)
//       print(result2)
//
//   asyncio.run(main())
//
// Output (~1 s):
//   Fetching data 1
//   Fetching data 2
//   Fetched data 1!
//   Fetched data 2!
//   Result of 1
//   Result of 2
//
// The results are printed after both awaits on purpose: printing result1 right
// after `await task1` would race task 2's timer (both expire ~1 s after start,
// microseconds apart), so "Result of 1" could come before or after
// "Fetched data 2!". The two "Fetched" lines themselves are ordered: one loop
// thread, and task 1's timer was started first, so it expires first.
#include <chrono>
#include <iostream>
#include <string>

#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

runtime::Task<std::string> fetch_data(int id, std::chrono::milliseconds delay) {
  std::cout << "Fetching data " << id << std::endl;
  co_await runtime::sleep(delay);
  std::cout << "Fetched data " << id << "!" << std::endl;
  co_return "Result of " + std::to_string(id);
}

runtime::Task<void> amain() {
  auto task1 = runtime::create_task(fetch_data(1, 1s));  // scheduled now
  auto task2 = runtime::create_task(fetch_data(2, 1s));
  auto result1 = co_await task1.wait();  // both run while we wait
  auto result2 = co_await task2.wait();
  std::cout << result1 << std::endl;
  std::cout << result2 << std::endl;
}

int main() { runtime::run(amain()); }
