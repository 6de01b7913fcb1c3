// Shared helpers for the runtime tests.
//
// Conventions: a test's state (primitives, flags, the coroutine lambdas that use
// it) lives in the TEST_CASE's scope, outside run(), so a task may outlive the
// main coroutine's frame without dangling (run cancels leftovers after main).
// Orderings are forced with Events, yield() and `until`, never with sleeps;
// sleeps appear only where the behaviour under test is timing.
// With several loop threads, Catch2 assertions stay outside run() (Catch2 v2
// is not thread-safe); tasks record into atomics instead.
// No co_await inside CHECK or REQUIRE: Catch2 repeats the expression in a
// condition that is never true, and GCC 12 still runs its co_await, so the
// wait happens twice. Await into a variable, then check it (CHECK_THROWS*
// name their expression once and are safe).
#pragma once

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <utility>

#include "runtime/runtime.hpp"

namespace rt_test {

using namespace std::chrono_literals;
using runtime::Task;
using Clock = std::chrono::steady_clock;

// Runs `f()` as the main task. `f` (and so the lambda's captures) stays alive
// for the whole run because it is a parameter of this frame. The deadline only
// turns a hang (a runtime bug) into a TimeoutError well inside CTest's limit.
template <class F>
auto run(F f, std::size_t threads = 1) {
  return runtime::run(runtime::wait_for(f(), 20s), threads);
}

// Gives the loop turns until `pred()` holds. The bound is a safety net against
// a hang, not a timing assumption: the condition is reached after a handful of
// turns when the runtime behaves.
inline Task<void> until(std::function<bool()> pred, int max_turns = 100000) {
  for (int i = 0; i < max_turns; ++i) {
    if (pred()) co_return;
    co_await runtime::yield();
  }
  throw std::runtime_error("until: condition never became true");
}

// Awaits `t`; true when it ended with the runtime's cancellation error.
template <class T>
Task<bool> ends_cancelled(Task<T> t) {
  try {
    co_await std::move(t);
  } catch (const std::exception& e) {
    co_return runtime::is_cancellation(e);
  }
  co_return false;
}

// How many tasks are inside a guarded section now, and the most ever seen
// (atomics: the tasks may run on several loop threads).
struct Occupancy {
  std::atomic<int> now{0};
  std::atomic<int> most{0};
  void enter() {
    int n = ++now;
    int seen = most.load();
    while (n > seen && !most.compare_exchange_weak(seen, n)) {
    }
  }
  void leave() { --now; }
};

// Runs `workers` tasks made by `worker(i)` on 4 loop threads while 50 tasks
// made by `quitter()` are started one by one and cancelled a turn later,
// most of them while queued behind the workers.
template <class Worker, class Quitter>
void run_with_quitters(int workers, Worker worker, Quitter quitter) {
  run(
      [&]() -> Task<void> {
        runtime::TaskGroup tg;
        for (int i = 0; i < workers; ++i) tg.create_task(worker(i));
        for (int i = 0; i < 50; ++i) {
          auto q = tg.create_task(quitter());
          co_await runtime::yield();
          q.cancel();
          co_await runtime::yield();
        }
        co_await tg.join();
      },
      4);
}

// Milliseconds since `start`.
inline long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

}  // namespace rt_test
