// wait — asyncio.wait over three running tasks: first_completed returns as
// soon as one is done, a timeout returns whatever is done by then (no
// TimeoutError), and the task still pending is cancelled by hand: ~0.25 s.
//
//   import asyncio
//
//   async def job(name, delay):
//       await asyncio.sleep(delay)
//       print(f"{name} finishes")
//       return name
//
//   def names(among, tasks):  # a set has no order: list the names in the tasks' order
//       return [t.get_name() for t in tasks if t in among]
//
//   async def main():
//       jobs = [asyncio.create_task(job(name, delay), name=name)
//               for name, delay in (("job-1", 1), ("job-2", 0.1), ("job-3", 0.2))]
//       done, pending = await asyncio.wait(jobs, return_when=asyncio.FIRST_COMPLETED)
//       print("done:", names(done, jobs), "pending:", names(pending, jobs))
//       done, pending = await asyncio.wait(pending, timeout=0.15)
//       print("done:", names(done, jobs), "pending:", names(pending, jobs))
//       for t in pending:  # wait cancels nothing: the rest is ours to cancel
//           t.cancel()
//       await asyncio.wait(pending)
//       print("job-1 cancelled:", jobs[0].cancelled())
//
//   asyncio.run(main())
//
// Output (~0.25 s):
//   job-2 finishes                                (t = 0.1 s)
//   done: ['job-2'] pending: ['job-1', 'job-3']
//   job-3 finishes                                (t = 0.2 s)
//   done: ['job-3'] pending: ['job-1']            (t = 0.25 s, the timeout)
//   job-1 cancelled: True
//
// The order is fixed: the job lengths keep every two events apart. Where
// asyncio returns two sets, runtime::wait returns two vectors, each in the
// order the tasks were given, so the names need no sorting here.
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "py.hpp"
#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

runtime::Task<std::string> job(std::string name, std::chrono::milliseconds delay) {
  co_await runtime::sleep(delay);
  std::cout << name << " finishes" << std::endl;
  co_return name;
}

std::vector<std::string> names(const std::vector<runtime::TaskHandle<std::string>>& tasks) {
  std::vector<std::string> out;
  for (const auto& t : tasks) out.push_back(t.name());
  return out;
}

runtime::Task<void> amain() {
  std::vector<runtime::TaskHandle<std::string>> jobs;
  for (auto [name, delay] : {std::pair{"job-1", 1000ms}, std::pair{"job-2", 100ms}, std::pair{"job-3", 200ms}})
    jobs.push_back(runtime::create_task(job(name, delay), name));
  auto [done, pending] = co_await runtime::wait(jobs, runtime::ReturnWhen::first_completed);
  std::cout << "done: " << py::str(names(done)) << " pending: " << py::str(names(pending)) << std::endl;
  auto [done2, pending2] = co_await runtime::wait(pending, runtime::ReturnWhen::all_completed, 150ms);
  std::cout << "done: " << py::str(names(done2)) << " pending: " << py::str(names(pending2)) << std::endl;
  for (auto& t : pending2) t.cancel();  // wait cancels nothing: the rest is ours to cancel
  co_await runtime::wait(pending2);
  std::cout << "job-1 cancelled: " << py::str(jobs[0].cancelled()) << std::endl;
}

int main() { runtime::run(amain()); }
