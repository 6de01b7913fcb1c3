// 2. sleep_gather — two coroutines that sleep without blocking: ~1 s in all.
//
//   import asyncio
//
//   async def hello():
//       print("Hello ...")
//       await asyncio.sleep(1)
//       print("... World!")
//
//   async def main():
//       await asyncio.gather(hello(), hello())
//
//   asyncio.run(main())
//
// Output (after ~1 s):
//   Hello ...
//   Hello ...
//   ... World!
//   ... World!
#include <chrono>
#include <iostream>

#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

runtime::Task<void> hello() {
  std::cout << "Hello ..." << std::endl;
  co_await runtime::sleep(1s);  // the loop runs the other hello() meanwhile
  std::cout << "... World!" << std::endl;
}

runtime::Task<void> amain() {
  co_await runtime::gather(hello(), hello());
}

int main() { runtime::run(amain()); }
