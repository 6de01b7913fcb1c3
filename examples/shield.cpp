// shield — a handler awaits a save through shield and is cancelled mid-way:
// its wait ends at once, the save runs on and its result is there later: ~0.3 s.
//
//   import asyncio
//
//   async def save_report():
//       print("Saving the report")
//       await asyncio.sleep(0.3)
//       print("Report saved")
//       return "report.txt"
//
//   async def handler(save):
//       try:
//           return await asyncio.shield(save)
//       except asyncio.CancelledError:
//           print("Handler cancelled; the save goes on")
//           raise
//
//   async def main():
//       save = asyncio.create_task(save_report())
//       request = asyncio.create_task(handler(save))
//       await asyncio.sleep(0.1)
//       request.cancel()
//       try:
//           await request
//       except asyncio.CancelledError:
//           print(f"Handler done: {request.done()}, save done: {save.done()}")
//       print(f"Saved to {await save}")
//
//   asyncio.run(main())
//
// Output (~0.3 s):
//   Saving the report
//   Handler cancelled; the save goes on    (t = 0.1 s)
//   Handler done: True, save done: False
//   Report saved                            (t = 0.3 s)
//   Saved to report.txt
//
// The order is fixed: the save starts first; cancelling the handler ends its
// shielded wait at its next turn, 0.2 s before the save finishes. Without
// shield, `co_await save.wait()` would cancel the save with the handler, as
// `await save` does in asyncio.
#include <chrono>
#include <exception>
#include <iostream>
#include <string>

#include "py.hpp"
#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

runtime::Task<std::string> save_report() {
  std::cout << "Saving the report" << std::endl;
  co_await runtime::sleep(300ms);
  std::cout << "Report saved" << std::endl;
  co_return "report.txt";
}

runtime::Task<std::string> handler(runtime::TaskHandle<std::string> save) {
  try {
    co_return co_await runtime::shield(save);
  } catch (const std::exception& e) {
    if (runtime::is_cancellation(e)) std::cout << "Handler cancelled; the save goes on" << std::endl;
    throw;
  }
}

runtime::Task<void> amain() {
  auto save = runtime::create_task(save_report());
  auto request = runtime::create_task(handler(save));
  co_await runtime::sleep(100ms);
  request.cancel();
  try {
    co_await request.wait();
  } catch (const std::exception& e) {
    if (!runtime::is_cancellation(e)) throw;
    std::cout << "Handler done: " << py::str(request.done()) << ", save done: " << py::str(save.done()) << std::endl;
  }
  const std::string file = co_await save.wait();  // awaited before the line is written, as in the f-string
  std::cout << "Saved to " << file << std::endl;
}

int main() { runtime::run(amain()); }
