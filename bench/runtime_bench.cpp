// Micro-benchmarks of the runtime's primitives, the counterpart of
// bench/asyncio_primitives.py (bench/primitives.sh compares the two).
//
// Every benchmark runs inside ONE runtime::run() loop on a single thread: the
// benchmark body is a coroutine that drives `for (auto _ : state)` itself, so
// the loop's start-up is never part of an iteration.
#include <benchmark/benchmark.h>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdlib>
#include <vector>

#include "runtime/runtime.hpp"

namespace {

using runtime::Task;
using namespace std::chrono_literals;

constexpr int kGatherTasks = 1000;

Task<int> trivial() { co_return 1; }

// RUNTIME_BENCH_ITERATIONS=N runs each benchmark exactly N iterations, in one
// run (no sizing runs): bench/primitive_instructions.sh counts instructions per
// operation from two such counts under callgrind.
void iterations_from_env(benchmark::internal::Benchmark* b) {
  if (const char* n = std::getenv("RUNTIME_BENCH_ITERATIONS")) b->Iterations(std::atoll(n));
}

// Runs `body(state)` as the main task of a single-threaded loop.
template <class Body>
void in_loop(benchmark::State& state, Body body) {
  runtime::run(body(state), 1);
}

// --- 1. create_task + await -------------------------------------------------
Task<void> create_task_await(benchmark::State& state) {
  for (auto _ : state) {
    auto h = runtime::create_task(trivial());
    benchmark::DoNotOptimize(co_await h.wait());
  }
}
void BM_CreateTaskAwait(benchmark::State& state) { in_loop(state, create_task_await); }
BENCHMARK(BM_CreateTaskAwait)->Apply(iterations_from_env);

// --- 2. gather of 1000 trivial tasks ------------------------------------------
Task<void> gather_1000(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<Task<int>> tasks;
    tasks.reserve(kGatherTasks);
    for (int i = 0; i < kGatherTasks; ++i) tasks.push_back(trivial());
    auto results = co_await runtime::gather(std::move(tasks));
    benchmark::DoNotOptimize(results.data());
  }
  state.SetItemsProcessed(state.iterations() * kGatherTasks);
  // Seconds per task (printed like "per_task=1.23u").
  state.counters["per_task"] = benchmark::Counter(
      kGatherTasks, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
void BM_Gather1000(benchmark::State& state) { in_loop(state, gather_1000); }
BENCHMARK(BM_Gather1000)->Apply(iterations_from_env);

// --- 3. uncontended Lock acquire/release -------------------------------------
Task<void> lock_uncontended(benchmark::State& state) {
  runtime::Lock lock;
  for (auto _ : state) {
    auto guard = co_await lock.acquire();
    benchmark::DoNotOptimize(guard.owns_lock());
  }  // released here, every iteration
}
void BM_LockUncontended(benchmark::State& state) { in_loop(state, lock_uncontended); }
BENCHMARK(BM_LockUncontended)->Apply(iterations_from_env);

// --- 4. contended Lock hand-off between two tasks ----------------------------
// Two tasks alternately take the lock and yield while holding it, so every
// acquisition (one benchmark iteration) is a FIFO hand-off from the other task.
// Both tasks count iterations on the shared state; single-threaded, so safe.
Task<void> lock_handoff_worker(benchmark::State& state, runtime::Lock& lock, bool& stop) {
  for (;;) {
    auto guard = co_await lock.acquire();
    if (stop) co_return;
    if (!state.KeepRunning()) {
      stop = true;
      co_return;
    }
    co_await runtime::yield();
  }
}
Task<void> lock_handoff(benchmark::State& state) {
  runtime::Lock lock;
  bool stop = false;
  auto a = runtime::create_task(lock_handoff_worker(state, lock, stop));
  auto b = runtime::create_task(lock_handoff_worker(state, lock, stop));
  co_await a.wait();
  co_await b.wait();
}
void BM_LockHandoff(benchmark::State& state) { in_loop(state, lock_handoff); }
BENCHMARK(BM_LockHandoff)->Apply(iterations_from_env);

// --- 5. uncontended Semaphore acquire/release --------------------------------
Task<void> semaphore_uncontended(benchmark::State& state) {
  runtime::Semaphore sem(1);
  for (auto _ : state) {
    auto permit = co_await sem.acquire();
    benchmark::DoNotOptimize(static_cast<bool>(permit));
  }
}
void BM_SemaphoreUncontended(benchmark::State& state) { in_loop(state, semaphore_uncontended); }
BENCHMARK(BM_SemaphoreUncontended)->Apply(iterations_from_env);

// --- 6. Event set -> wait wake-up round trip ---------------------------------
// One iteration: the main task sets `ping`; the waiter wakes, clears it and
// sets `pong`; the main task wakes and clears `pong`. Two wake-ups per round trip.
Task<void> event_waiter(runtime::Event& ping, runtime::Event& pong, bool& stop) {
  for (;;) {
    co_await ping.wait();
    ping.clear();
    if (stop) co_return;
    pong.set();
  }
}
Task<void> event_roundtrip(benchmark::State& state) {
  runtime::Event ping, pong;
  bool stop = false;
  auto waiter = runtime::create_task(event_waiter(ping, pong, stop));
  for (auto _ : state) {
    ping.set();
    co_await pong.wait();
    pong.clear();
  }
  stop = true;
  ping.set();
  co_await waiter.wait();
}
void BM_EventRoundTrip(benchmark::State& state) { in_loop(state, event_roundtrip); }
BENCHMARK(BM_EventRoundTrip)->Apply(iterations_from_env);

// --- 7. sleep(0) -------------------------------------------------------------
Task<void> sleep_zero(benchmark::State& state) {
  for (auto _ : state) co_await runtime::sleep(0s);
}
void BM_SleepZero(benchmark::State& state) { in_loop(state, sleep_zero); }
BENCHMARK(BM_SleepZero)->Apply(iterations_from_env);

// --- 8. Condition notify/wait round trip --------------------------------------
// The main task and a waiter pass a turn back and forth under one Condition:
// each sets the turn to the other, notifies and waits for it to come back.
// Two notify -> wait wake-ups (each taking the lock back) per round trip.
Task<void> condition_waiter(runtime::Condition& cond, int& turn, bool& stop) {
  auto guard = co_await cond.acquire();
  for (;;) {
    co_await cond.wait_for(guard, [&] { return turn == 1; });
    if (stop) co_return;
    turn = 0;
    cond.notify();
  }
}
Task<void> condition_roundtrip(benchmark::State& state) {
  runtime::Condition cond;
  int turn = 0;  // guarded by cond's lock
  bool stop = false;
  auto waiter = runtime::create_task(condition_waiter(cond, turn, stop));
  {
    auto guard = co_await cond.acquire();
    for (auto _ : state) {
      turn = 1;
      cond.notify();
      co_await cond.wait_for(guard, [&] { return turn == 0; });
    }
    stop = true;
    turn = 1;
    cond.notify();
  }
  co_await waiter.wait();
}
void BM_ConditionRoundTrip(benchmark::State& state) { in_loop(state, condition_roundtrip); }
BENCHMARK(BM_ConditionRoundTrip)->Apply(iterations_from_env);

// --- 9. Barrier of 2 -----------------------------------------------------------
// Two tasks pass a Barrier(2) round after round; one iteration is one round.
// The partner cannot tell which round is the last: abort() ends it.
Task<void> barrier_partner(runtime::Barrier& barrier) {
  try {
    for (;;) co_await barrier.wait();
  } catch (const runtime::BrokenBarrierError&) {
  }
}
Task<void> barrier_of_2(benchmark::State& state) {
  runtime::Barrier barrier(2);
  auto partner = runtime::create_task(barrier_partner(barrier));
  for (auto _ : state) benchmark::DoNotOptimize(co_await barrier.wait());
  barrier.abort();
  co_await partner.wait();
}
void BM_Barrier2(benchmark::State& state) { in_loop(state, barrier_of_2); }
BENCHMARK(BM_Barrier2)->Apply(iterations_from_env);

// --- 10. race, first of 2 -----------------------------------------------------
// A trivial task against one waiting on an Event that is never set: the first
// wins, and race returns once the other is cancelled and finished. On one loop
// thread the trivial task, first in argument order, finishes before the other
// would start, so the other never starts (race.hpp); RaceOf2LoserWaiting
// below has the waiting task start first, park and be cancelled.
Task<int> wait_forever(runtime::Event& never_set) {
  co_await never_set.wait();
  co_return 2;
}
Task<void> race_of_2(benchmark::State& state) {
  runtime::Event never_set;
  for (auto _ : state) {
    auto r = co_await runtime::race(trivial(), wait_forever(never_set));
    benchmark::DoNotOptimize(r.index());
  }
}
void BM_RaceOf2(benchmark::State& state) { in_loop(state, race_of_2); }
BENCHMARK(BM_RaceOf2)->Apply(iterations_from_env);

// --- 10b. race, first of 2, the loser first in argument order ----------------
// It starts, parks on the Event, and its cancellation unwinds it (one throw):
// the work asyncio's version does in both rows.
Task<void> race_of_2_loser_waiting(benchmark::State& state) {
  runtime::Event never_set;
  for (auto _ : state) {
    auto r = co_await runtime::race(wait_forever(never_set), trivial());
    benchmark::DoNotOptimize(r.index());
  }
}
void BM_RaceOf2LoserWaiting(benchmark::State& state) { in_loop(state, race_of_2_loser_waiting); }
BENCHMARK(BM_RaceOf2LoserWaiting)->Apply(iterations_from_env);

// --- 11. as_completed of 1000 trivial tasks ----------------------------------
Task<void> as_completed_1000(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<Task<int>> tasks;
    tasks.reserve(kGatherTasks);
    for (int i = 0; i < kGatherTasks; ++i) tasks.push_back(trivial());
    auto results = runtime::as_completed(std::move(tasks));
    int sum = 0;
    while (auto done = co_await results.next()) sum += done->outcome.value();
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kGatherTasks);
  state.counters["per_task"] = benchmark::Counter(
      kGatherTasks, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
void BM_AsCompleted1000(benchmark::State& state) { in_loop(state, as_completed_1000); }
BENCHMARK(BM_AsCompleted1000)->Apply(iterations_from_env);

// --- Baselines (not in the asyncio table; they split the costs above) --------
// co_await of a trivial coroutine: one awaitable frame push/pop.
Task<void> await_coroutine(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(co_await trivial());
}
void BM_Baseline_AwaitCoroutine(benchmark::State& state) { in_loop(state, await_coroutine); }
BENCHMARK(BM_Baseline_AwaitCoroutine)->Apply(iterations_from_env);

// A bare post through the loop with use_awaitable (what runtime::yield does
// without its own frame).
Task<void> bare_post(benchmark::State& state) {
  auto ex = co_await boost::asio::this_coro::executor;
  for (auto _ : state) co_await boost::asio::post(ex, boost::asio::use_awaitable);
}
void BM_Baseline_AsioPost(benchmark::State& state) { in_loop(state, bare_post); }
BENCHMARK(BM_Baseline_AsioPost)->Apply(iterations_from_env);

// runtime::yield() (sleep(0) minus the sleep frame).
Task<void> yield_loop(benchmark::State& state) {
  for (auto _ : state) co_await runtime::yield();
}
void BM_Baseline_Yield(benchmark::State& state) { in_loop(state, yield_loop); }
BENCHMARK(BM_Baseline_Yield)->Apply(iterations_from_env);

// Lock::try_acquire + release: the lock without any coroutine frame.
Task<void> lock_try(benchmark::State& state) {
  runtime::Lock lock;
  for (auto _ : state) {
    runtime::Lock::Guard g;
    benchmark::DoNotOptimize(lock.try_acquire(g));
  }
  co_return;
}
void BM_Baseline_LockTryAcquire(benchmark::State& state) { in_loop(state, lock_try); }
BENCHMARK(BM_Baseline_LockTryAcquire)->Apply(iterations_from_env);

// A CancelledError thrown and caught in one coroutine frame: the least a
// cancellation that unwinds a task costs while it is an exception, the floor
// under RaceOf2LoserWaiting (its loser's wait throws once, so).
Task<void> throw_catch_cancelled(benchmark::State& state) {
  for (auto _ : state) {
    try {
      throw runtime::CancelledError();
    } catch (const runtime::CancelledError& e) {
      benchmark::DoNotOptimize(&e);
    }
  }
  co_return;
}
void BM_Baseline_ThrowCatchCancelled(benchmark::State& state) { in_loop(state, throw_catch_cancelled); }
BENCHMARK(BM_Baseline_ThrowCatchCancelled)->Apply(iterations_from_env);


}  // namespace

BENCHMARK_MAIN();
