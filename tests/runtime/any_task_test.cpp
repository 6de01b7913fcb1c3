// runtime::AnyTask (and TaskHandle as one): asyncio.Task's name, cancel(msg),
// cancelling() and uncancel().
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

namespace {

// What awaiting `t` ends with: "value", "CancelledError(<message>)", or the
// other exception's what().
template <class A>
Task<std::string> outcome_of(A t) {
  try {
    co_await std::move(t);
    co_return "value";
  } catch (const runtime::CancelledError& e) {
    co_return "CancelledError(" + e.message() + ")";
  } catch (const std::exception& e) {
    co_return std::string(runtime::is_cancellation(e) ? "plain cancellation: " : "other: ") + e.what();
  }
}

}  // namespace

TEST_CASE("tasks are named Task-<n> in the order they start, unless named", "[any_task][name]") {
  // runtime::run directly: its main task is Task-1 (rt_test::run wraps the
  // body in a wait_for, whose own task comes first). The body cannot hang.
  std::vector<std::string> names;
  auto nothing = []() -> Task<void> { co_return; };
  auto one = []() -> Task<int> { co_return 1; };
  auto body = [&]() -> Task<void> {
    auto me = co_await runtime::current_task();
    names.push_back(me.name());
    auto a = runtime::create_task(nothing());
    auto b = runtime::create_task(one(), "fetch example.com");
    auto c = runtime::create_task(nothing());
    names.push_back(a.name());
    names.push_back(b.name());
    names.push_back(c.name());
    co_await a.wait();
    co_await b.wait();
    co_await c.wait();
    b.set_name("renamed");
    names.push_back(b.name());
  };
  runtime::run(body());
  CHECK(names == std::vector<std::string>{"Task-1", "Task-2", "fetch example.com", "Task-4", "renamed"});
}

TEST_CASE("set_name renames a running task, TaskGroup children take names too", "[any_task][name]") {
  runtime::Event go;
  std::string seen_inside;
  auto body = [&]() -> Task<void> {
    co_await go.wait();
    seen_inside = (co_await runtime::current_task()).name();
  };
  auto two = []() -> Task<int> { co_return 2; };
  runtime::AnyTask kept;
  run([&]() -> Task<void> {
    auto t = runtime::create_task(body());
    t.set_name("worker");
    go.set();
    co_await t.wait();
    runtime::TaskGroup tg;
    auto child = tg.create_task(two(), "child");
    CHECK(child.name() == "child");
    co_await tg.join();
    kept = t;
  });
  CHECK(seen_inside == "worker");
  CHECK(kept.name() == "worker");  // still there after the loop has ended
  kept.set_name("");               // an empty name is a name
  CHECK(kept.name().empty());
}

TEST_CASE("cancel(msg): the interrupted wait and the awaiter see CancelledError with the message",
          "[any_task][cancel]") {
  runtime::Event never;
  std::string inside;
  std::string inside_what;
  auto body = [&]() -> Task<void> {
    try {
      co_await never.wait();
    } catch (const runtime::CancelledError& e) {
      inside = e.message();
      inside_what = e.what();
      throw;
    }
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(body());
    co_await until([&] { return never.waiters() == 1; });
    CHECK(t.cancel("shutting down"));
    auto seen = co_await outcome_of(t.wait());
    CHECK(seen == "CancelledError(shutting down)");
    CHECK(t.cancelled());
    CHECK_FALSE(t.cancel("again"));  // done: nothing to cancel
    try {
      t.result();
    } catch (const runtime::CancelledError& e) {
      CHECK(e.message() == "shutting down");
    }
  });
  CHECK(inside == "shutting down");
  CHECK(inside_what.rfind("shutting down: ", 0) == 0);
}

TEST_CASE("the message reaches every kind of runtime wait", "[any_task][cancel]") {
  runtime::Lock lock;
  runtime::Semaphore sem(0);
  runtime::Queue<int> q;
  runtime::Condition cond;
  runtime::Barrier barrier(2);
  runtime::Future<int> future;
  runtime::Event never;
  std::vector<std::string> seen;
  auto expect = [&](std::string what, Task<void> wait) -> Task<void> {
    auto t = runtime::create_task(std::move(wait));
    for (int i = 0; i < 5; ++i) co_await runtime::yield();  // parked by now
    CHECK_FALSE(t.done());
    t.cancel("stop " + what);
    seen.push_back(what + ": " + co_await outcome_of(t.wait()));
  };
  // The waits, named here: a coroutine lambda must outlive its coroutine.
  auto on_lock = [&]() -> Task<void> { auto g = co_await lock.acquire(); };
  auto on_semaphore = [&]() -> Task<void> { auto p = co_await sem.acquire(); };
  auto on_queue = [&]() -> Task<void> { co_await q.get(); };
  auto on_condition = [&]() -> Task<void> {
    auto g = co_await cond.acquire();
    co_await cond.wait(g);
  };
  auto on_barrier = [&]() -> Task<void> { co_await barrier.wait(); };
  auto on_future = [&]() -> Task<void> { co_await future.wait(); };
  auto on_sleep = []() -> Task<void> { co_await runtime::sleep(30s); };
  auto on_task = [&]() -> Task<void> {
    auto inner = runtime::create_task(never.wait());
    co_await inner.wait();
  };
  auto on_group = [&]() -> Task<void> {
    runtime::TaskGroup tg;
    tg.create_task(never.wait());
    co_await tg.join();
  };
  auto never_task = [&]() -> Task<void> { co_await never.wait(); };
  auto on_gather = [&]() -> Task<void> {
    std::vector<Task<void>> children;
    children.push_back(never_task());
    co_await runtime::gather(std::move(children));
  };
  auto on_race = [&]() -> Task<void> { co_await runtime::race(never_task(), runtime::sleep(30s)); };
  auto on_as_completed = [&]() -> Task<void> {
    std::vector<Task<void>> children;
    children.push_back(never_task());
    auto results = runtime::as_completed(std::move(children));
    co_await results.next();
  };
  auto on_asyncio_wait = [&]() -> Task<void> {
    std::vector<runtime::TaskHandle<void>> tasks;
    tasks.push_back(runtime::create_task(never_task()));
    co_await runtime::wait(tasks);
  };
  auto on_shield = [&]() -> Task<void> {
    auto inner = runtime::create_task(never_task());
    co_await runtime::shield(inner);
  };
  auto on_timeout_scope = [&]() -> Task<void> {
    auto scope = runtime::timeout(30s);
    co_await scope.run(never_task());
  };
  run([&]() -> Task<void> {
    auto held = co_await lock.acquire();
    co_await expect("lock", on_lock());
    held.unlock();
    co_await expect("semaphore", on_semaphore());
    co_await expect("queue", on_queue());
    co_await expect("condition", on_condition());
    co_await expect("barrier", on_barrier());
    co_await expect("future", on_future());
    co_await expect("sleep", on_sleep());
    co_await expect("task", on_task());
    co_await expect("group", on_group());
    co_await expect("gather", on_gather());
    co_await expect("race", on_race());
    co_await expect("as_completed", on_as_completed());
    co_await expect("wait", on_asyncio_wait());
    co_await expect("shield", on_shield());
    co_await expect("timeout scope", on_timeout_scope());
  });
  CHECK(seen == std::vector<std::string>{
                    "lock: CancelledError(stop lock)", "semaphore: CancelledError(stop semaphore)",
                    "queue: CancelledError(stop queue)", "condition: CancelledError(stop condition)",
                    "barrier: CancelledError(stop barrier)", "future: CancelledError(stop future)",
                    "sleep: CancelledError(stop sleep)", "task: CancelledError(stop task)",
                    "group: CancelledError(stop group)", "gather: CancelledError(stop gather)",
                    "race: CancelledError(stop race)", "as_completed: CancelledError(stop as_completed)",
                    "wait: CancelledError(stop wait)", "shield: CancelledError(stop shield)",
                    "timeout scope: CancelledError(stop timeout scope)"});
}

TEST_CASE("an awaited task is cancelled with its awaiter's message", "[any_task][cancel]") {
  runtime::Event never;
  std::string inner_saw;
  auto inner = [&]() -> Task<void> {
    try {
      co_await never.wait();
    } catch (const runtime::CancelledError& e) {
      inner_saw = e.message();
      throw;
    }
  };
  std::optional<runtime::TaskHandle<void>> in;
  auto outer_body = [&]() -> Task<void> {
    in = runtime::create_task(inner());
    co_await in->wait();
  };
  run([&]() -> Task<void> {
    auto outer = runtime::create_task(outer_body());
    co_await until([&] { return never.waiters() == 1; });
    outer.cancel("user left");
    auto seen = co_await outcome_of(outer.wait());
    CHECK(seen == "CancelledError(user left)");
    CHECK(in->cancelled());
    CHECK(in->cancelling() == 1);
  });
  CHECK(inner_saw == "user left");
}

TEST_CASE("a task cancelled while it runs: later awaits throw Asio's error, its awaiters get the message",
          "[any_task][cancel]") {
  runtime::Event started;
  std::string inside;
  auto body = [&]() -> Task<void> {
    started.set();
    co_await runtime::yield();  // the main task cancels this one meanwhile: the emission is queued
    co_await runtime::yield();  // emitted while this yield is queued: a yield is not interrupted
    try {
      co_await runtime::yield();
      inside = "no error";
    } catch (const runtime::CancelledError&) {
      inside = "CancelledError";
    } catch (const std::exception& e) {
      inside = runtime::is_cancellation(e) ? "plain cancellation" : "other";
      throw;
    }
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(body());
    co_await started.wait();
    t.cancel("late");
    auto seen = co_await outcome_of(t.wait());
    CHECK(seen == "CancelledError(late)");
  });
  CHECK(inside == "plain cancellation");
}

TEST_CASE("cancelling counts cancel requests, uncancel takes them back", "[any_task][cancel][uncancel]") {
  runtime::Event go;
  auto body = [&]() -> Task<void> { co_await go.wait(); };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(body());
    CHECK(t.cancelling() == 0);
    CHECK(t.uncancel() == 0);  // nothing to take back
    t.cancel();
    t.cancel("second");
    CHECK(t.cancelling() == 2);
    CHECK(t.uncancel() == 1);
    CHECK(t.cancelling() == 1);
    auto seen = co_await outcome_of(t.wait());
    CHECK(seen == "CancelledError(second)");
    CHECK(t.cancelling() == 1);  // stays after the end, as in asyncio
  });
}

TEST_CASE("uncancel before the cancellation is delivered drops it", "[any_task][uncancel]") {
  runtime::Event go;
  bool finished = false;
  auto body = [&]() -> Task<void> {
    co_await go.wait();
    co_await runtime::yield();
    finished = true;
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(body());
    t.cancel("never mind");  // posted to the task's turn...
    CHECK(t.uncancel() == 0);  // ...and taken back before it
    co_await until([&] { return go.waiters() == 1; });
    go.set();
    auto seen = co_await outcome_of(t.wait());
    CHECK(seen == "value");
    CHECK(finished);
    CHECK_FALSE(t.cancelled());
  });
}

TEST_CASE("a task that catches its cancellation and uncancels itself carries on", "[any_task][uncancel]") {
  runtime::Event never;
  runtime::Event later;
  std::vector<std::string> steps;
  auto body = [&]() -> Task<int> {
    auto me = co_await runtime::current_task();
    bool caught = false;
    try {
      co_await never.wait();
    } catch (const runtime::CancelledError& e) {
      steps.push_back("caught " + e.message());
      caught = true;
    }
    if (caught) steps.push_back("left " + std::to_string(me.uncancel()));
    co_await later.wait();  // does not throw: the cancellation was taken back
    co_await runtime::sleep(1ms);
    steps.push_back("carried on");
    co_return 7;
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(body());
    co_await until([&] { return never.waiters() == 1; });
    t.cancel("timeout");
    co_await until([&] { return later.waiters() == 1; });
    later.set();
    int v = co_await t.wait();
    CHECK(v == 7);
    CHECK_FALSE(t.cancelled());
    CHECK(t.cancelling() == 0);
  });
  CHECK(steps == std::vector<std::string>{"caught timeout", "left 0", "carried on"});
}

TEST_CASE("a task cancelled twice and uncancelled once stays cancelled", "[any_task][uncancel]") {
  runtime::Event never;
  auto body = [&]() -> Task<void> {
    auto me = co_await runtime::current_task();
    try {
      co_await never.wait();
    } catch (const runtime::CancelledError&) {
    }
    CHECK(me.uncancel() == 1);
    co_await never.wait();  // still cancelled: throws
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(body());
    co_await until([&] { return never.waiters() == 1; });
    t.cancel();
    t.cancel();
    bool c = co_await ends_cancelled(t.wait());
    CHECK(c);
  });
}

TEST_CASE("cancel(msg) and uncancel across loop threads", "[any_task][cancel][uncancel][threads]") {
  // Tasks on four threads, each cancelled by another task with its own
  // message; half of them uncancel themselves and finish normally.
  constexpr int n = 16;
  runtime::Event never;
  std::vector<std::string> got(n);  // each written by its own task only
  std::atomic<int> carried_on{0};
  auto body = [&](int i) -> Task<void> {
    auto me = co_await runtime::current_task();
    bool caught = false;
    try {
      co_await never.wait();
    } catch (const runtime::CancelledError& e) {
      got[i] = e.message();
      caught = true;
    }
    if (caught && i % 2 == 0 && me.uncancel() == 0) {
      co_await runtime::sleep(1ms);
      ++carried_on;
    }
  };
  auto canceller = [](runtime::AnyTask t, int i) -> Task<void> {
    t.cancel("msg " + std::to_string(i));
    co_return;
  };
  std::atomic<int> ended_cancelled{0};
  run(
      [&]() -> Task<void> {
        std::vector<runtime::TaskHandle<void>> hs;
        for (int i = 0; i < n; ++i) hs.push_back(runtime::create_task(body(i)));
        co_await until([&] { return never.waiters() == n; });
        std::vector<runtime::TaskHandle<void>> cancellers;
        for (int i = 0; i < n; ++i) cancellers.push_back(runtime::create_task(canceller(hs[i], i)));
        for (auto& c : cancellers) co_await c.wait();
        for (auto& h : hs) ended_cancelled += co_await ends_cancelled(h.wait());
      },
      4);
  for (int i = 0; i < n; ++i) CHECK(got[i] == "msg " + std::to_string(i));
  CHECK(carried_on == n / 2);
  CHECK(ended_cancelled == 0);  // the other half caught it and ended normally
}
