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
#include <thread>
#include <utility>
#include <vector>

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

// Runs `body()` as the main task of a loop of one thread of its own, on a
// thread joined before this returns (so that loop never runs alongside the
// caller's tasks); true when it threw std::logic_error, as a primitive, task
// or as_completed of another one-thread loop must.
template <class Body>
bool throws_logic_error_on_another_loop(Body body) {
  bool threw = false;
  std::thread other([&] {
    try {
      runtime::run(body(), 1);
    } catch (const std::logic_error&) {
      threw = true;
    }
  });
  other.join();
  return threw;
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

// Producers and consumers of `q` on 4 loop threads: `producers` tasks put
// `per_producer` items each (0, 1, ... in all), 3 consumers take them until
// they get -1, put only once the queue is empty (so that it comes last in any
// order). Returns how often each item was taken.
template <class Q>
std::vector<int> pass_items_on_threads(Q& q, int producers, int per_producer) {
  std::vector<std::atomic<int>> seen(producers * per_producer);
  auto producer = [&](int p) -> Task<void> {
    for (int i = 0; i < per_producer; ++i) co_await q.put(p * per_producer + i);
  };
  auto consumer = [&]() -> Task<void> {
    for (;;) {
      int v = co_await q.get();
      if (v < 0) co_return;
      ++seen[v];
    }
  };
  run(
      [&]() -> Task<void> {
        std::vector<runtime::TaskHandle<void>> cs;
        for (int i = 0; i < 3; ++i) cs.push_back(runtime::create_task(consumer()));
        std::vector<Task<void>> ps;
        for (int p = 0; p < producers; ++p) ps.push_back(producer(p));
        co_await runtime::gather(std::move(ps));
        co_await until([&] { return q.empty(); });
        for (int i = 0; i < 3; ++i) co_await q.put(-1);
        for (auto& c : cs) co_await c.wait();
      },
      4);
  std::vector<int> counts;
  for (auto& s : seen) counts.push_back(s);
  return counts;
}

// Starts `n` tasks on 4 loop threads, each awaiting `wait()`; once `parked()`
// holds, cancels every second one and at once calls `end_all()`, which ends
// the waits still pending with an `Error`. Returns how many ended with
// `Error` and how many with the cancellation error: each wait ends once, so
// the two add up to `n`.
template <class Error, class MakeWait, class EndAll>
std::pair<int, int> cancel_while_ending(int n, MakeWait wait, std::function<bool()> parked, EndAll end_all) {
  std::atomic<int> ended{0};
  std::atomic<int> cancelled{0};
  auto waiter = [&]() -> Task<void> {
    try {
      co_await wait();
    } catch (const Error&) {
      ++ended;
    } catch (const std::exception& e) {
      if (runtime::is_cancellation(e)) ++cancelled;
      throw;
    }
  };
  run(
      [&]() -> Task<void> {
        std::vector<runtime::TaskHandle<void>> hs;
        for (int i = 0; i < n; ++i) hs.push_back(runtime::create_task(waiter()));
        co_await runtime::yield();
        co_await until(parked);
        for (int i = 0; i < n; i += 2) hs[i].cancel();
        end_all();
        for (auto& h : hs) co_await ends_cancelled(h.wait());
      },
      4);
  return {ended.load(), cancelled.load()};
}

// Milliseconds since `start`.
inline long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

}  // namespace rt_test
