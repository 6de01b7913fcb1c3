// 12. event — one task waits until another sets the event (after 2 s).
//
//   import asyncio
//
//   async def waiter(event):
//       print("Waiting for event to be set")
//       await event.wait()
//       print("Event set and ready")
//
//   async def setter(event):
//       await asyncio.sleep(2)
//       event.set()
//       print("Event set")
//
//   async def main():
//       event = asyncio.Event()
//       await asyncio.gather(waiter(event), setter(event))
//
//   asyncio.run(main())
//
// Output (~2 s):
//   Waiting for event to be set
//   Event set                    (after 2 s)
//   Event set and ready
//
// Why "Event set" comes before "Event set and ready", always: set() does not
// resume the waiter inside the call; it posts the waiter's resumption to the
// loop (runtime/detail/wait_queue.hpp: "never run inline inside the releasing
// call"). run() drives the loop on one thread, so the setter goes on to print
// "Event set" and finishes before the posted waiter gets its turn. asyncio
// behaves the same way: set() only schedules the waiter (call_soon).
// (With runtime::run(main, N) on N > 1 threads the two would race.)
#include <chrono>
#include <iostream>

#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

runtime::Task<void> waiter(runtime::Event& event) {
  std::cout << "Waiting for event to be set" << std::endl;
  co_await event.wait();
  std::cout << "Event set and ready" << std::endl;
}

runtime::Task<void> setter(runtime::Event& event) {
  co_await runtime::sleep(2s);
  event.set();
  std::cout << "Event set" << std::endl;
}

runtime::Task<void> amain() {
  runtime::Event event;
  co_await runtime::gather(waiter(event), setter(event));
}

int main() { runtime::run(amain()); }
