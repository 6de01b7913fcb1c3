// runtime::wait: asyncio.wait over task handles.
#include <atomic>
#include <memory>
#include <stdexcept>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;
using runtime::ReturnWhen;
using runtime::TaskHandle;

namespace {

// Waits for `go`, then returns `v`, or throws when `v` is negative. Notes a
// cancellation in `cancelled`.
Task<int> job(runtime::Event& go, int v, int& cancelled) {
  try {
    co_await go.wait();
  } catch (const std::exception& e) {
    if (runtime::is_cancellation(e)) ++cancelled;
    throw;
  }
  if (v < 0) throw std::runtime_error("job failed");
  co_return v;
}

std::vector<int> results(const std::vector<TaskHandle<int>>& ts) {
  std::vector<int> out;
  for (auto& t : ts) out.push_back(t.result());
  return out;
}

}  // namespace

TEST_CASE("wait first_completed: returns once one is done, cancels nothing", "[wait_tasks]") {
  runtime::Event go[3];
  int cancelled = 0;
  run([&]() -> Task<void> {
    std::vector<TaskHandle<int>> ts;
    for (int i = 0; i < 3; ++i) ts.push_back(runtime::create_task(job(go[i], i, cancelled)));
    auto release = [&]() -> Task<void> {
      co_await until([&] { return go[0].waiters() + go[1].waiters() + go[2].waiters() == 3; });
      go[1].set();
    };
    runtime::create_task(release());
    auto [done, pending] = co_await runtime::wait(ts, ReturnWhen::first_completed);
    CHECK(results(done) == std::vector<int>{1});
    REQUIRE(pending.size() == 2);
    CHECK_FALSE(pending[0].done());
    CHECK_FALSE(pending[1].done());
    // The pending ones run on: they finish when they are let go.
    go[2].set();
    go[0].set();
    auto [all, none] = co_await runtime::wait(pending);
    CHECK(results(all) == std::vector<int>{0, 2});  // in the order given, not the order finished
    CHECK(none.empty());
  });
  CHECK(cancelled == 0);
}

TEST_CASE("wait all_completed (the default) waits for every task", "[wait_tasks]") {
  runtime::Event go;
  int cancelled = 0;
  run([&]() -> Task<void> {
    std::vector<TaskHandle<int>> ts;
    for (int i = 0; i < 4; ++i) ts.push_back(runtime::create_task(job(go, i, cancelled)));
    auto release = [&]() -> Task<void> {
      co_await until([&] { return go.waiters() == 4; });
      go.set();
    };
    runtime::create_task(release());
    auto [done, pending] = co_await runtime::wait(ts);
    CHECK(results(done) == std::vector<int>{0, 1, 2, 3});
    CHECK(pending.empty());
  });
}

TEST_CASE("wait first_exception: returns at the first failure, a cancelled task is no failure",
          "[wait_tasks][errors]") {
  runtime::Event never, fail_go;
  int cancelled = 0;
  run([&]() -> Task<void> {
    auto victim = runtime::create_task(job(never, 0, cancelled));
    auto slow = runtime::create_task(job(never, 1, cancelled));
    auto failing = runtime::create_task(job(fail_go, -1, cancelled));
    auto steps = [&]() -> Task<void> {
      co_await until([&] { return never.waiters() == 2 && fail_go.waiters() == 1; });
      victim.cancel();  // ends with cancellation: does not end the wait
      co_await until([&] { return victim.done(); });
      co_await runtime::yield();
      fail_go.set();
    };
    auto stepper = runtime::create_task(steps());
    // Named, not a temporary in the co_await: GCC 12 cannot keep an
    // initializer list's array in the coroutine frame.
    const std::vector<TaskHandle<int>> ts{victim, slow, failing};
    auto [done, pending] = co_await runtime::wait(ts, ReturnWhen::first_exception);
    CHECK(stepper.done());  // it had to get as far as the failure
    REQUIRE(done.size() == 2);
    CHECK(done[0].cancelled());
    CHECK_THROWS_WITH(done[1].result(), "job failed");
    REQUIRE(pending.size() == 1);
    CHECK_FALSE(pending[0].done());
    pending[0].cancel();
    const bool ended_cancelled = co_await ends_cancelled(pending[0].wait());
    CHECK(ended_cancelled);
  });
  CHECK(cancelled == 2);
}

TEST_CASE("wait first_exception without a failure is all_completed", "[wait_tasks][errors]") {
  runtime::Event go;
  int cancelled = 0;
  run([&]() -> Task<void> {
    std::vector<TaskHandle<int>> ts;
    for (int i = 0; i < 3; ++i) ts.push_back(runtime::create_task(job(go, i, cancelled)));
    auto release = [&]() -> Task<void> {
      co_await until([&] { return go.waiters() == 3; });
      go.set();
    };
    runtime::create_task(release());
    auto [done, pending] = co_await runtime::wait(ts, ReturnWhen::first_exception);
    CHECK(done.size() == 3);
    CHECK(pending.empty());
  });
}

TEST_CASE("wait with a timeout returns what is done by then, without an error", "[wait_tasks][timeout]") {
  runtime::Event never, go;
  go.set();
  int cancelled = 0;
  const auto start = Clock::now();
  long long waited = -1;
  run([&]() -> Task<void> {
    auto quick = runtime::create_task(job(go, 7, cancelled));
    auto stuck = runtime::create_task(job(never, 0, cancelled));
    const auto t0 = Clock::now();
    const std::vector<TaskHandle<int>> ts{quick, stuck};
    auto [done, pending] = co_await runtime::wait(ts, ReturnWhen::all_completed, 50ms);
    waited = ms_since(t0);
    CHECK(results(done) == std::vector<int>{7});
    REQUIRE(pending.size() == 1);
    CHECK_FALSE(pending[0].done());  // not cancelled either
    stuck.cancel();
    co_await ends_cancelled(stuck.wait());
  });
  CHECK(waited >= 50);
  CHECK(waited < 5000);
  CHECK(ms_since(start) < 5000);
  CHECK(cancelled == 1);  // by the test, not by the wait
}

TEST_CASE("wait on tasks that are done already returns at once", "[wait_tasks]") {
  runtime::Event go;
  go.set();
  int cancelled = 0;
  run([&]() -> Task<void> {
    auto a = runtime::create_task(job(go, 1, cancelled));
    auto b = runtime::create_task(job(go, 2, cancelled));
    co_await until([&] { return a.done() && b.done(); });
    const std::vector<TaskHandle<int>> ts{a, b};
    auto [done, pending] = co_await runtime::wait(ts, ReturnWhen::first_completed);
    CHECK(results(done) == std::vector<int>{1, 2});
    CHECK(pending.empty());
  });
}

TEST_CASE("wait on no tasks throws invalid_argument", "[wait_tasks][errors]") {
  run([]() -> Task<void> {
    CHECK_THROWS_AS(co_await runtime::wait(std::vector<TaskHandle<int>>{}), std::invalid_argument);
  });
}

TEST_CASE("cancelling the task in wait ends the wait and leaves the tasks running", "[wait_tasks][cancel]") {
  // The waiting frame is gone before the tasks finish: a node left in a
  // task's queue would be completed in freed memory (ASan).
  runtime::Event go;
  int cancelled = 0;
  run([&]() -> Task<void> {
    std::vector<TaskHandle<int>> ts;
    for (int i = 0; i < 3; ++i) ts.push_back(runtime::create_task(job(go, i, cancelled)));
    auto waiter = [&]() -> Task<void> { co_await runtime::wait(ts, ReturnWhen::first_completed, 30s); };
    auto w = runtime::create_task(waiter());
    co_await until([&] { return go.waiters() == 3; });
    co_await runtime::yield();
    w.cancel();
    const bool ended_cancelled = co_await ends_cancelled(w.wait());
    CHECK(ended_cancelled);
    for (auto& t : ts) CHECK_FALSE(t.done());
    go.set();
    for (int i = 0; i < 3; ++i) {
      const auto got = co_await ts[i].wait();
      CHECK(got == i);
    }
  });
  CHECK(cancelled == 0);
}

TEST_CASE("waits on several loop threads: tasks finishing on other strands wake each wait once", "[wait_tasks][threads]") {
  constexpr int kWaits = 100;
  std::atomic<int> ok{0}, wrong{0};
  auto quick = [](int v) -> Task<int> {
    co_await runtime::yield();
    co_return v;
  };
  auto one = [&]() -> Task<void> {
    std::vector<TaskHandle<int>> ts;
    for (int i = 0; i < 4; ++i) ts.push_back(runtime::create_task(quick(i)));
    auto [done, pending] = co_await runtime::wait(ts, ReturnWhen::first_completed);
    if (done.empty() || done.size() + pending.size() != 4) ++wrong;
    for (auto& t : done)
      if (!t.done()) ++wrong;
    auto [all, none] = co_await runtime::wait(ts);
    if (all.size() != 4 || !none.empty()) ++wrong;
    ++ok;
  };
  run(
      [&]() -> Task<void> {
        std::vector<Task<void>> waits;
        for (int i = 0; i < kWaits; ++i) waits.push_back(one());
        co_await runtime::gather(std::move(waits));
      },
      4);
  CHECK(ok == kWaits);
  CHECK(wrong == 0);
}
