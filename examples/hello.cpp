// 1. hello — a coroutine, run by the event loop.
//
//   import asyncio
//
//   async def main():
//       print("Start of main coroutine")
//
//   asyncio.run(main())
//
// Output:
//   Start of main coroutine
#include <iostream>

#include "runtime/runtime.hpp"

runtime::Task<void> amain() {  // async def main()
  std::cout << "Start of main coroutine" << std::endl;
  co_return;
}

int main() { runtime::run(amain()); }  // asyncio.run(main())
