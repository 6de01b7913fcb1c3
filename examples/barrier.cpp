// barrier — three workers arrive at a Barrier at different times and pass it
// together once the last has arrived; a late one finds it aborted: ~0.4 s.
//
//   import asyncio
//
//   async def worker(barrier, id, delay):
//       print(f"Worker {id} starts")
//       await asyncio.sleep(delay)
//       print(f"Worker {id} arrives")
//       index = await barrier.wait()
//       print(f"Worker {id} passes the barrier (arrived {index})")
//
//   async def main():
//       barrier = asyncio.Barrier(3)
//       await asyncio.gather(worker(barrier, 1, 0.3), worker(barrier, 2, 0.1), worker(barrier, 3, 0.2))
//       late = asyncio.create_task(barrier.wait())
//       await asyncio.sleep(0.1)
//       await barrier.abort()
//       try:
//           await late
//       except asyncio.BrokenBarrierError:
//           print("The late worker finds the barrier broken")
//
//   asyncio.run(main())
//
// Output (~0.4 s):
//   Worker 1 starts
//   Worker 2 starts
//   Worker 3 starts
//   Worker 2 arrives                          (t = 0.1 s)
//   Worker 3 arrives                          (t = 0.2 s)
//   Worker 1 arrives                          (t = 0.3 s)
//   Worker 1 passes the barrier (arrived 2)
//   Worker 2 passes the barrier (arrived 0)
//   Worker 3 passes the barrier (arrived 1)
//   The late worker finds the barrier broken  (t = 0.4 s)
//
// The order is fixed: the last to arrive does not wait, so it prints first;
// the ones it releases go on in the order they arrived. (asyncio's abort() is
// awaited; here it is a plain call, see runtime/barrier.hpp.)
#include <chrono>
#include <iostream>

#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

runtime::Task<void> worker(runtime::Barrier& barrier, int id, std::chrono::milliseconds delay) {
  std::cout << "Worker " << id << " starts" << std::endl;
  co_await runtime::sleep(delay);
  std::cout << "Worker " << id << " arrives" << std::endl;
  std::size_t index = co_await barrier.wait();
  std::cout << "Worker " << id << " passes the barrier (arrived " << index << ")" << std::endl;
}

runtime::Task<void> amain() {
  runtime::Barrier barrier(3);
  co_await runtime::gather(worker(barrier, 1, 300ms), worker(barrier, 2, 100ms), worker(barrier, 3, 200ms));
  auto late = runtime::create_task(barrier.wait());
  co_await runtime::sleep(100ms);
  barrier.abort();
  try {
    co_await late.wait();
  } catch (const runtime::BrokenBarrierError&) {
    std::cout << "The late worker finds the barrier broken" << std::endl;
  }
}

int main() { runtime::run(amain()); }
