// runtime::shield: asyncio.shield.
#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

namespace {
// Waits for `go`, then returns `v` (or throws, with `fail`).
Task<std::string> save(runtime::Event& go, bool& cancelled, bool fail = false) {
  try {
    co_await go.wait();
  } catch (const std::exception& e) {
    cancelled = runtime::is_cancellation(e);
    throw;
  }
  if (fail) throw std::runtime_error("save failed");
  co_return "saved";
}

// Awaits `t` through a shield; counts the cancellation that ends the wait.
Task<void> shielded_wait(runtime::TaskHandle<int> t, std::atomic<int>& cancelled) {
  try {
    co_await runtime::shield(t);
  } catch (const std::exception& e) {
    if (runtime::is_cancellation(e)) ++cancelled;
  }
}
}  // namespace

TEST_CASE("shield: the awaiter is cancelled at once, the shielded task runs on", "[shield][cancel]") {
  runtime::Event go;
  bool task_cancelled = false;
  bool awaiter_cancelled = false;
  bool task_done_when_awaiter_cancelled = true;
  std::string later;
  run([&]() -> Task<void> {
    auto saving = runtime::create_task(save(go, task_cancelled));
    auto awaiter = [&]() -> Task<void> {
      try {
        co_await runtime::shield(saving);
      } catch (const std::exception& e) {
        awaiter_cancelled = runtime::is_cancellation(e);
        task_done_when_awaiter_cancelled = saving.done();
        throw;
      }
    };
    auto a = runtime::create_task(awaiter());
    co_await until([&] { return go.waiters() == 1 && !a.done(); });
    co_await runtime::yield();  // the awaiter is parked on the task by now
    a.cancel();
    const bool ended_cancelled = co_await ends_cancelled(a.wait());
    CHECK(ended_cancelled);
    CHECK_FALSE(saving.done());
    go.set();
    later = co_await saving.wait();
  });
  CHECK(awaiter_cancelled);
  CHECK_FALSE(task_done_when_awaiter_cancelled);
  CHECK_FALSE(task_cancelled);
  CHECK(later == "saved");
}

TEST_CASE("shield: without cancellation it is the task's value or exception", "[shield][errors]") {
  runtime::Event go;
  go.set();
  bool c1 = false, c2 = false;
  run([&]() -> Task<void> {
    auto ok = runtime::create_task(save(go, c1));
    const auto got = co_await runtime::shield(ok);
    CHECK(got == "saved");
    auto bad = runtime::create_task(save(go, c2, /*fail=*/true));
    CHECK_THROWS_WITH(co_await runtime::shield(bad), "save failed");
    // A second shielded wait on a finished task returns at once.
    const auto again = co_await runtime::shield(ok);
    CHECK(again == "saved");
  });
}

TEST_CASE("shield: the shielded task's own cancellation still reaches the awaiter", "[shield][cancel]") {
  runtime::Event never;
  bool task_cancelled = false;
  run([&]() -> Task<void> {
    auto t = runtime::create_task(save(never, task_cancelled));
    auto killer = [&]() -> Task<void> {
      co_await until([&] { return never.waiters() == 1; });
      t.cancel();
    };
    runtime::create_task(killer());
    const bool ended_cancelled = co_await ends_cancelled(runtime::shield(t));
    CHECK(ended_cancelled);
  });
  CHECK(task_cancelled);
}

TEST_CASE("shield of a coroutine starts it as a task that outlives the cancelled awaiter", "[shield][cancel]") {
  runtime::Event go;
  bool task_cancelled = false;
  std::string result;
  auto saver = [&]() -> Task<std::string> {
    result = co_await save(go, task_cancelled);
    co_return result;
  };
  auto awaiter = [&]() -> Task<void> { co_await runtime::shield(saver()); };
  run([&]() -> Task<void> {
    auto a = runtime::create_task(awaiter());
    co_await until([&] { return go.waiters() == 1; });
    co_await runtime::yield();
    a.cancel();
    const bool ended_cancelled = co_await ends_cancelled(a.wait());
    CHECK(ended_cancelled);
    go.set();
    co_await until([&] { return !result.empty(); });
  });
  CHECK_FALSE(task_cancelled);
  CHECK(result == "saved");
}

TEST_CASE("a cancelled shielded wait leaves the task's waiters: the task ends later without touching it",
          "[shield][cancel]") {
  // The awaiters' frames are gone before the task finishes; a waiter left
  // behind in its queue would be resumed from freed memory (ASan).
  runtime::Event go;
  bool task_cancelled = false;
  run([&]() -> Task<void> {
    auto t = runtime::create_task(save(go, task_cancelled));
    auto awaiter = [t]() -> Task<void> { co_await runtime::shield(t); };
    std::vector<runtime::TaskHandle<void>> awaiters;
    for (int i = 0; i < 10; ++i) awaiters.push_back(runtime::create_task(awaiter()));
    co_await until([&] { return go.waiters() == 1; });
    co_await runtime::yield();
    for (auto& a : awaiters) a.cancel();
    for (auto& a : awaiters) {
      const bool ended_cancelled = co_await ends_cancelled(a.wait());
      CHECK(ended_cancelled);
    }
    awaiters.clear();
    go.set();
    const auto got = co_await t.wait();
    CHECK(got == "saved");
  });
  CHECK_FALSE(task_cancelled);
}

TEST_CASE("shielded waits cancelled on several loop threads: the tasks all finish", "[shield][threads][cancel]") {
  constexpr int kTasks = 40;
  runtime::Event go;
  std::atomic<int> awaiters_cancelled{0}, tasks_cancelled{0}, saved{0};
  auto work = [&]() -> Task<int> {
    try {
      co_await go.wait();
    } catch (...) {
      ++tasks_cancelled;
      throw;
    }
    ++saved;
    co_return 1;
  };
  run(
      [&]() -> Task<void> {
        std::vector<runtime::TaskHandle<int>> tasks;
        std::vector<runtime::TaskHandle<void>> awaiters;
        for (int i = 0; i < kTasks; ++i) {
          tasks.push_back(runtime::create_task(work()));
          awaiters.push_back(runtime::create_task(shielded_wait(tasks.back(), awaiters_cancelled)));
        }
        co_await until([&] { return go.waiters() == kTasks; });
        for (auto& a : awaiters) a.cancel();
        for (auto& a : awaiters) co_await a.wait();
        go.set();
        for (auto& t : tasks) co_await t.wait();
      },
      4);
  CHECK(tasks_cancelled == 0);
  CHECK(saved == kTasks);
  // An awaiter may be cancelled before it reaches the shield (then it too
  // ends cancelled); none sees anything else.
  CHECK(awaiters_cancelled == kTasks);
}
