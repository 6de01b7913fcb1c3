// 5. sequential_await — two coroutine objects awaited one after the other:
//    the second starts only when the first is done, so ~2 s.
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
//       task1 = fetch_data(1, 1)
//       task2 = fetch_data(2, 1)
//       result1 = await task1
//       print(result1)
//       result2 = await task2
//       print(result2)
//
//   asyncio.run(main())
//
// Output (~2 s):
//   Fetching data 1
//   Fetched data 1!
//   Result of 1
//   Fetching data 2
//   Fetched data 2!
//   Result of 2
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
  auto task1 = fetch_data(1, 1s);  // built, not started
  auto task2 = fetch_data(2, 1s);
  auto result1 = co_await std::move(task1);
  std::cout << result1 << std::endl;
  auto result2 = co_await std::move(task2);  // only now does fetch_data(2) start
  std::cout << result2 << std::endl;
}

int main() { runtime::run(amain()); }
