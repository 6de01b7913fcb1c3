// timeout_scope — one deadline over two awaits (asyncio.timeout()): 0.5 s for
// a 0.2 s connect and a 0.4 s download times out in the download; the same
// with the deadline moved 0.2 s later once connected finishes in time: ~1.1 s.
//
//   import asyncio
//
//   async def step(name, delay):
//       print(f"{name} starts")
//       await asyncio.sleep(delay)
//       print(f"{name} done")
//
//   async def main():
//       try:
//           async with asyncio.timeout(0.5) as scope:
//               await step("connect", 0.2)
//               await step("download", 0.4)
//       except TimeoutError:
//           print(f"Timed out; expired: {scope.expired()}")
//       async with asyncio.timeout(0.5) as scope:
//           await step("connect", 0.2)
//           scope.reschedule(scope.when() + 0.2)
//           await step("download", 0.4)
//       print(f"Downloaded in time; expired: {scope.expired()}")
//
//   asyncio.run(main())
//
// Output (~1.1 s):
//   connect starts
//   connect done                     (t = 0.2 s)
//   download starts
//   Timed out; expired: True         (t = 0.5 s)
//   connect starts
//   connect done                     (t = 0.7 s)
//   download starts
//   download done                    (t = 1.1 s; the deadline was moved to 1.2 s)
//   Downloaded in time; expired: False
//
// The order is fixed: the deadlines fall 0.1 s from the nearest step's end.
// C++ has no `async with`: the scope's awaits are a Task body that
// scope.run() awaits under the deadline; expiry cancels the body, waits for
// it and throws TimeoutError (see runtime/timeout_scope.hpp).
#include <chrono>
#include <iostream>
#include <string>

#include "py.hpp"
#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

runtime::Task<void> step(std::string name, std::chrono::milliseconds delay) {
  std::cout << name << " starts" << std::endl;
  co_await runtime::sleep(delay);
  std::cout << name << " done" << std::endl;
}

// The body of the first `async with`.
runtime::Task<void> connect_and_download() {
  co_await step("connect", 200ms);
  co_await step("download", 400ms);
}

// The body of the second: the deadline moves once connected.
runtime::Task<void> connect_and_download(runtime::Timeout& scope) {
  co_await step("connect", 200ms);
  scope.reschedule(*scope.when() + 200ms);
  co_await step("download", 400ms);
}

runtime::Task<void> amain() {
  auto scope = runtime::timeout(500ms);
  try {
    co_await scope.run(connect_and_download());
  } catch (const runtime::TimeoutError&) {
    std::cout << "Timed out; expired: " << py::str(scope.expired()) << std::endl;
  }
  auto later = runtime::timeout(500ms);
  co_await later.run(connect_and_download(later));
  std::cout << "Downloaded in time; expired: " << py::str(later.expired()) << std::endl;
}

int main() { runtime::run(amain()); }
