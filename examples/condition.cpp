// condition — consumers wait on a Condition until the producer adds a job
// (notify wakes one) or closes (notify_all wakes the rest): ~3 s.
//
//   import asyncio
//
//   jobs = []
//   closed = False
//
//   async def consumer(condition, id):
//       async with condition:
//           print(f"Consumer {id} waits")
//           await condition.wait_for(lambda: jobs or closed)
//           if jobs:
//               print(f"Consumer {id} takes {jobs.pop(0)}")
//           else:
//               print(f"Consumer {id} finds no more jobs")
//
//   async def producer(condition):
//       global closed
//       for job in ("job A", "job B"):
//           await asyncio.sleep(1)
//           async with condition:
//               jobs.append(job)
//               print(f"Producer adds {job}")
//               condition.notify()
//       await asyncio.sleep(1)
//       async with condition:
//           closed = True
//           print("Producer closes")
//           condition.notify_all()
//
//   async def main():
//       condition = asyncio.Condition()
//       await asyncio.gather(consumer(condition, 1), consumer(condition, 2), consumer(condition, 3),
//                            producer(condition))
//
//   asyncio.run(main())
//
// Output (~3 s):
//   Consumer 1 waits
//   Consumer 2 waits
//   Consumer 3 waits
//   Producer adds job A          (t = 1 s)
//   Consumer 1 takes job A
//   Producer adds job B          (t = 2 s)
//   Consumer 2 takes job B
//   Producer closes              (t = 3 s)
//   Consumer 3 finds no more jobs
//
// The order is fixed: the consumers start, and so wait, in argument order;
// notify() wakes the one that has waited longest, and a woken consumer runs
// only once it has the lock back, after the producer has left its block.
#include <chrono>
#include <deque>
#include <iostream>
#include <string>

#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

struct Jobs {
  std::deque<std::string> queued;  // guarded by the condition's lock
  bool closed = false;
};

runtime::Task<void> consumer(runtime::Condition& condition, Jobs& jobs, int id) {
  auto guard = co_await condition.acquire();  // async with condition:
  std::cout << "Consumer " << id << " waits" << std::endl;
  co_await condition.wait_for(guard, [&] { return !jobs.queued.empty() || jobs.closed; });
  if (!jobs.queued.empty()) {
    std::cout << "Consumer " << id << " takes " << jobs.queued.front() << std::endl;
    jobs.queued.pop_front();
  } else {
    std::cout << "Consumer " << id << " finds no more jobs" << std::endl;
  }
}

runtime::Task<void> producer(runtime::Condition& condition, Jobs& jobs) {
  for (std::string job : {"job A", "job B"}) {
    co_await runtime::sleep(1s);
    auto guard = co_await condition.acquire();
    jobs.queued.push_back(job);
    std::cout << "Producer adds " << job << std::endl;
    condition.notify();
  }
  co_await runtime::sleep(1s);
  auto guard = co_await condition.acquire();
  jobs.closed = true;
  std::cout << "Producer closes" << std::endl;
  condition.notify_all();
}

runtime::Task<void> amain() {
  runtime::Condition condition;
  Jobs jobs;
  co_await runtime::gather(consumer(condition, jobs, 1), consumer(condition, jobs, 2), consumer(condition, jobs, 3),
                           producer(condition, jobs));
}

int main() { runtime::run(amain()); }
