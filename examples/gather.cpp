// 8. gather — run coroutines concurrently, get their results in argument
//    order (not in finishing order): ~1 s, the longest of the two.
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
//       results = await asyncio.gather(fetch_data(1, 1), fetch_data(2, 0.5))
//       for result in results:
//           print(result)
//
//   asyncio.run(main())
//
// Output (~1 s):
//   Fetching data 1
//   Fetching data 2
//   Fetched data 2!
//   Fetched data 1!
//   Result of 1
//   Result of 2
//
// Task 2 finishes first (0.5 s) yet its result comes second. The variadic
// gather returns a std::tuple (Python returns a list); structured bindings
// stand in for the for loop.
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
  auto [result1, result2] = co_await runtime::gather(fetch_data(1, 1s), fetch_data(2, 500ms));
  std::cout << result1 << std::endl;
  std::cout << result2 << std::endl;
}

int main() { runtime::run(amain()); }
