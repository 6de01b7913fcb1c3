// 4. await_coroutine — calling a coroutine function only builds the coroutine;
//    its body runs when it is awaited.
//
//   import asyncio
//
//   async def fetch_data():
//       print("Fetching data")
//       await asyncio.sleep(1)
//       print("Fetched data!")
//
//   async def main():
//       print("Start of main coroutine")
//       task = fetch_data()
//       print("function is not executed!")
//       result = await task
//       print(result)
//
//   asyncio.run(main())
//
// Output (~1 s):
//   Start of main coroutine
//   function is not executed!
//   Fetching data
//   Fetched data!
//   None
//
// A Python function without `return` returns None; in C++ fetch_data says so
// explicitly with Task<runtime::None> and `co_return runtime::None{}`, so that
// `result` exists and prints as Python prints it.
#include <chrono>
#include <iostream>

#include "py.hpp"
#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

runtime::Task<runtime::None> fetch_data() {
  std::cout << "Fetching data" << std::endl;
  co_await runtime::sleep(1s);
  std::cout << "Fetched data!" << std::endl;
  co_return runtime::None{};
}

runtime::Task<void> amain() {
  std::cout << "Start of main coroutine" << std::endl;
  auto task = fetch_data();  // Task<T> is lazy: nothing of fetch_data has run yet
  std::cout << "function is not executed!" << std::endl;
  auto result = co_await std::move(task);  // now it runs, to the end
  std::cout << py::str(result) << std::endl;
}

int main() { runtime::run(amain()); }
