// race — two fetches race; the first to answer wins, the other is cancelled
// and has finished before race returns: ~0.1 s, not the slow one's 1 s.
// (Boost.Cobalt's race, Tokio's select!; asyncio has no race, so the Python
// builds it from asyncio.wait(FIRST_COMPLETED), as runtime/race.hpp describes.)
//
//   import asyncio
//
//   async def fetch(name, delay):
//       print(f"{name} starts")
//       try:
//           await asyncio.sleep(delay)
//       except asyncio.CancelledError:
//           print(f"{name} is cancelled")
//           raise
//       print(f"{name} answers")
//       return f"answer from {name}"
//
//   async def race(*coros):
//       tasks = [asyncio.create_task(c) for c in coros]
//       done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
//       for t in pending:
//           t.cancel()
//       if pending:
//           await asyncio.wait(pending)  # the losers have finished before race returns
//       winner = next(t for t in tasks if t in done)
//       return tasks.index(winner), winner.result()  # its value, or its exception raised
//
//   async def main():
//       index, answer = await race(fetch("fast", 0.1), fetch("slow", 1))
//       print(f"Winner {index}: {answer}")
//
//   asyncio.run(main())
//
// Output (~0.1 s):
//   fast starts
//   slow starts
//   fast answers                 (t = 0.1 s)
//   slow is cancelled
//   Winner 0: answer from fast
//
// The order is fixed: the racers start in argument order; the loser is
// cancelled once the winner has finished, and race returns only after the
// loser has unwound. The variadic race returns a std::variant of the racers'
// values whose index() is the winner, even when the types are the same.
#include <chrono>
#include <exception>
#include <iostream>
#include <string>
#include <variant>

#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

runtime::Task<std::string> fetch(std::string name, std::chrono::milliseconds delay) {
  std::cout << name << " starts" << std::endl;
  try {
    co_await runtime::sleep(delay);
  } catch (const std::exception& e) {
    if (runtime::is_cancellation(e)) std::cout << name << " is cancelled" << std::endl;
    throw;
  }
  std::cout << name << " answers" << std::endl;
  co_return "answer from " + name;
}

runtime::Task<void> amain() {
  auto winner = co_await runtime::race(fetch("fast", 100ms), fetch("slow", 1s));
  std::visit([&](const std::string& answer) { std::cout << "Winner " << winner.index() << ": " << answer << std::endl; },
             winner);
}

int main() { runtime::run(amain()); }
