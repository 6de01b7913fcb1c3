// 13. choosing_model — the tutorial's opening advice, measured:
//     waiting (I/O-bound) work belongs on the loop; CPU-bound work belongs on
//     a CPU pool (Python: a process pool); blocking calls belong on threads.
//     A ticker task that ticks every 10 ms shows whether the loop stays free.
//
//   import asyncio, time
//   from concurrent.futures import ProcessPoolExecutor
//
//   ticks = 0
//   async def ticker():
//       global ticks
//       while True:
//           await asyncio.sleep(0.01)
//           ticks += 1
//
//   def crunch(seconds):                          # CPU-bound
//       end, n = time.perf_counter() + seconds, 0
//       while time.perf_counter() < end:
//           n += 1
//       return n
//
//   async def main():
//       t = time.perf_counter()                   # (a) many waits, one loop
//       await asyncio.gather(*(asyncio.sleep(1) for _ in range(1000)))
//       print(f"(a) 1000 sleeps of 1 s on the loop: {time.perf_counter() - t:.2f} s")
//
//       asyncio.create_task(ticker())
//       t, t0 = time.perf_counter(), ticks        # (b) CPU work on the loop ...
//       crunch(0.5)                               #     the ticker stalls
//       ...
//       with ProcessPoolExecutor() as pool:       #     ... and in a pool: it ticks on
//           await asyncio.get_running_loop().run_in_executor(pool, crunch, 0.5)
//       ...
//       await asyncio.gather(*(asyncio.to_thread(time.sleep, 0.5) for _ in range(4)))  # (c)
//       ...
//
//   asyncio.run(main())
//
// Output (~2.6 s; times and tick counts vary a little):
//   (a) 1000 sleeps of 1 s on the loop: 1.00 s
//   (b) 0.5 s of CPU work on the loop: 0.50 s, 0 ticks; via to_cpu: 0.50 s, 49 ticks
//   (c) 4 blocking sleeps of 0.5 s via to_thread: 0.50 s, 49 ticks
//
// C++ threads run in parallel (no GIL), so runtime::to_cpu needs no process
// pool: a thread pool of its own, one thread per core, does it.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

#include "runtime/runtime.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int ticks = 0;  // only touched on the loop thread

runtime::Task<void> ticker() {
  for (;;) {
    co_await runtime::sleep(10ms);
    ++ticks;
  }
}

// CPU-bound work for about `d`: arithmetic, checking the clock now and then so
// the example takes the same time on any machine.
std::uint64_t crunch(Clock::duration d) {
  std::uint64_t x = 1;
  for (auto end = Clock::now() + d; Clock::now() < end;)
    for (int i = 0; i < 10000; ++i) x = x * 6364136223846793005u + 1442695040888963407u;
  return x;
}

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

runtime::Task<void> amain() {
  // (a) I/O-bound: 1000 waits overlap on the one loop thread.
  auto t = Clock::now();
  std::vector<runtime::Task<void>> sleeps;
  for (int i = 0; i < 1000; ++i) sleeps.push_back(runtime::sleep(1s));
  co_await runtime::gather(std::move(sleeps));
  std::printf("(a) 1000 sleeps of 1 s on the loop: %.2f s\n", since(t));
  std::fflush(stdout);

  auto tick = runtime::create_task(ticker());
  co_await runtime::sleep(50ms);  // let it get going

  // (b) CPU-bound: on the loop the ticker cannot run at all; on the CPU pool it can.
  t = Clock::now();
  int t0 = ticks;
  crunch(500ms);  // no co_await inside: the loop is stuck here
  double on_loop = since(t);
  int on_loop_ticks = ticks - t0;
  co_await runtime::sleep(50ms);  // let the ticker catch its breath

  t = Clock::now();
  t0 = ticks;
  co_await runtime::to_cpu([] { return crunch(500ms); });
  std::printf("(b) 0.5 s of CPU work on the loop: %.2f s, %d ticks; via to_cpu: %.2f s, %d ticks\n",
              on_loop, on_loop_ticks, since(t), ticks - t0);
  std::fflush(stdout);

  // (c) Blocking calls: on the to_thread pool, the loop keeps ticking.
  t = Clock::now();
  t0 = ticks;
  std::vector<runtime::Task<void>> blocking;
  for (int i = 0; i < 4; ++i) blocking.push_back(runtime::to_thread([] { std::this_thread::sleep_for(500ms); }));
  co_await runtime::gather(std::move(blocking));
  std::printf("(c) 4 blocking sleeps of 0.5 s via to_thread: %.2f s, %d ticks\n", since(t), ticks - t0);
  std::fflush(stdout);

  tick.cancel();  // run() would cancel it anyway when main ends, as asyncio.run does
}

int main() { runtime::run(amain()); }
