// 3. blocking_sleep — the same with a blocking sleep: it stalls the whole loop,
//    so the two hello() run one after the other: ~2 s.
//
//   import asyncio, time
//
//   async def hello():
//       print("Hello ...")
//       time.sleep(1)              # blocks the event loop!
//       print("... World!")
//
//   async def main():
//       await asyncio.gather(hello(), hello())
//
//   asyncio.run(main())
//
// Output (after ~2 s):
//   Hello ...
//   ... World!
//   Hello ...
//   ... World!
#include <chrono>
#include <iostream>
#include <thread>

#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

runtime::Task<void> hello() {
  std::cout << "Hello ..." << std::endl;
  std::this_thread::sleep_for(1s);  // blocks the event loop! (no co_await: nobody else runs)
  std::cout << "... World!" << std::endl;
  co_return;
}

runtime::Task<void> amain() {
  co_await runtime::gather(hello(), hello());
}

int main() { runtime::run(amain()); }
