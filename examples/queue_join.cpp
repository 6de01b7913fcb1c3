// queue_join — a producer fills a bounded Queue for two workers, waits with
// join() until every job is done (task_done), then shuts the queue down so
// the workers stop: ~0.4 s. (Queue.shutdown and QueueShutDown: Python 3.13.)
//
//   import asyncio
//
//   async def worker(name, queue):
//       while True:
//           try:
//               job = await queue.get()
//           except asyncio.QueueShutDown:
//               print(f"{name} stops")
//               return
//           await asyncio.sleep(job / 1000)
//           print(f"{name} did a {job} ms job")
//           queue.task_done()
//
//   async def main():
//       queue = asyncio.Queue(maxsize=2)
//       workers = [asyncio.create_task(worker(f"worker-{i}", queue)) for i in (1, 2)]
//       for job in (300, 100, 250, 100):
//           await queue.put(job)  # waits while the queue is full
//       print("All jobs queued")
//       await queue.join()
//       print("All jobs done")
//       queue.shutdown()
//       await asyncio.gather(*workers)
//
//   asyncio.run(main())
//
// Output (~0.4 s):
//   All jobs queued
//   worker-2 did a 100 ms job      (t = 0.1 s)
//   worker-1 did a 300 ms job      (t = 0.3 s)
//   worker-2 did a 250 ms job      (t = 0.35 s)
//   worker-1 did a 100 ms job      (t = 0.4 s)
//   All jobs done
//   worker-2 stops
//   worker-1 stops
//
// The order is fixed: the third put waits until worker-1 takes the first job,
// and the last goes in once worker-2 takes the second; the job lengths keep
// every two events apart. worker-2 waits for a job from 0.35 s on, worker-1
// from 0.4 s: shutdown() wakes them in that order.
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

runtime::Task<void> worker(std::string name, runtime::Queue<int>& queue) {
  for (;;) {
    int job = 0;
    try {
      job = co_await queue.get();
    } catch (const runtime::QueueShutDown&) {
      std::cout << name << " stops" << std::endl;
      co_return;
    }
    co_await runtime::sleep(std::chrono::milliseconds(job));
    std::cout << name << " did a " << job << " ms job" << std::endl;
    queue.task_done();
  }
}

runtime::Task<void> amain() {
  runtime::Queue<int> queue(2);
  std::vector<runtime::TaskHandle<void>> workers;
  for (int i : {1, 2}) workers.push_back(runtime::create_task(worker("worker-" + std::to_string(i), queue)));
  for (int job : {300, 100, 250, 100}) co_await queue.put(job);  // waits while the queue is full
  std::cout << "All jobs queued" << std::endl;
  co_await queue.join();
  std::cout << "All jobs done" << std::endl;
  queue.shutdown();
  for (auto& w : workers) co_await w.wait();
}

int main() { runtime::run(amain()); }
