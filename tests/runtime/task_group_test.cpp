// runtime::TaskGroup: asyncio.TaskGroup.
#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("join waits for every child, handles give their results", "[task_group]") {
  auto after = [](int v, int turns) -> Task<int> {
    for (int i = 0; i < turns; ++i) co_await runtime::yield();
    co_return v;
  };
  run([&]() -> Task<void> {
    runtime::TaskGroup tg;
    auto a = tg.create_task(after(1, 5));
    auto b = tg.create_task(after(2, 1));
    auto c = tg.create_task(after(3, 10));
    CHECK(tg.running() == 3);
    co_await tg.join();
    CHECK(tg.running() == 0);
    CHECK(a.done());
    CHECK(b.done());
    CHECK(c.done());
    CHECK(a.result() == 1);
    CHECK(b.result() == 2);
    CHECK(c.result() == 3);
  });
}

TEST_CASE("create_tasks starts the tasks in order at the next turn, like create_task one by one", "[task_group]") {
  std::vector<int> log;  // one loop thread: no lock needed
  auto child = [&](int v) -> Task<int> {
    log.push_back(v);
    co_await runtime::yield();
    log.push_back(10 + v);
    co_return v;
  };
  run([&]() -> Task<void> {
    runtime::TaskGroup tg;
    std::vector<Task<int>> bodies;
    for (int i = 1; i <= 3; ++i) bodies.push_back(child(i));
    auto handles = tg.create_tasks(std::move(bodies));
    log.push_back(0);  // the creator runs on before any child starts
    auto late = tg.create_task(child(4));  // created after: starts after them
    co_await tg.join();
    REQUIRE(handles.size() == 3);
    for (int i = 0; i < 3; ++i) CHECK(handles[i].result() == i + 1);
    CHECK(late.result() == 4);
  });
  CHECK(log == std::vector<int>{0, 1, 2, 3, 4, 11, 12, 13, 14});
}

TEST_CASE("create_tasks on several threads runs every task", "[task_group][threads]") {
  std::atomic<int> sum{0};
  auto child = [&](int v) -> Task<int> {
    co_await runtime::yield();
    sum += v;
    co_return v;
  };
  std::vector<int> results;
  run(
      [&]() -> Task<void> {
        runtime::TaskGroup tg;
        std::vector<Task<int>> bodies;
        for (int i = 1; i <= 100; ++i) bodies.push_back(child(i));
        auto handles = tg.create_tasks(std::move(bodies));
        co_await tg.join();
        for (auto& h : handles) results.push_back(h.result());
      },
      4);
  CHECK(sum == 5050);
  REQUIRE(results.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(results[i] == i + 1);
}

TEST_CASE("join of an empty group returns at once", "[task_group]") {
  run([]() -> Task<void> {
    runtime::TaskGroup tg;
    co_await tg.join();
    CHECK(tg.running() == 0);
  });
}

TEST_CASE("the first failure cancels the siblings and join rethrows it", "[task_group][errors][cancel]") {
  runtime::Event never;
  std::vector<std::string> log;
  auto sibling = [&](std::string name) -> Task<void> {
    try {
      co_await never.wait();
    } catch (const std::exception& e) {
      log.push_back(name + (runtime::is_cancellation(e) ? " cancelled" : " other"));
      throw;
    }
  };
  // Fails after the first failure, in its clean-up: not the error join reports.
  auto second_failure = [&]() -> Task<void> {
    try {
      co_await never.wait();
    } catch (...) {
      log.push_back("second fails");
    }
    throw std::logic_error("second failure");
  };
  auto first_failure = [&]() -> Task<void> {
    co_await until([&] { return never.waiters() == 3; });
    throw std::runtime_error("first failure");
  };
  run([&]() -> Task<void> {
    runtime::TaskGroup tg;
    auto s1 = tg.create_task(sibling("s1"));
    auto s2 = tg.create_task(second_failure());
    auto s3 = tg.create_task(sibling("s3"));
    auto f = tg.create_task(first_failure());
    std::string what;
    try {
      co_await tg.join();
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
    CHECK(what == "first failure");
    CHECK(log.size() == 3);  // every sibling finished before join rethrew
    CHECK(s1.cancelled());
    CHECK(s3.cancelled());
    CHECK_THROWS_AS(s2.result(), std::logic_error);
    CHECK_THROWS_AS(f.result(), std::runtime_error);
    CHECK(never.waiters() == 0);
  });
}

TEST_CASE("a child's exception type reaches join intact", "[task_group][errors]") {
  struct Custom : std::runtime_error {
    Custom() : std::runtime_error("custom") {}
  };
  auto bad = []() -> Task<int> {
    throw Custom();
    co_return 0;
  };
  CHECK_THROWS_AS(run([&]() -> Task<void> {
                    runtime::TaskGroup tg;
                    tg.create_task(bad());
                    co_await tg.join();
                  }),
                  Custom);
}

TEST_CASE("a cancelled child is not a failure of the group", "[task_group][cancel]") {
  runtime::Event never;
  runtime::Event go;
  auto waits = [&]() -> Task<void> { co_await never.wait(); };
  auto works = [&]() -> Task<int> {
    co_await go.wait();
    co_return 5;
  };
  run([&]() -> Task<void> {
    runtime::TaskGroup tg;
    auto w = tg.create_task(waits());
    auto ok = tg.create_task(works());
    co_await until([&] { return never.waiters() == 1 && go.waiters() == 1; });
    w.cancel();
    co_await until([&] { return w.done(); });
    CHECK(w.cancelled());
    CHECK_FALSE(ok.done());  // the sibling was not cancelled
    go.set();
    co_await tg.join();      // does not throw
    CHECK(ok.result() == 5);
  });
}

TEST_CASE("keep_going: a failing child does not cancel siblings, join does not throw", "[task_group][errors]") {
  runtime::Event go;
  auto bad = [&]() -> Task<int> {
    co_await runtime::yield();
    go.set();
    throw std::runtime_error("bad");
  };
  auto slow = [&]() -> Task<int> {
    co_await go.wait();
    co_return 1;
  };
  run([&]() -> Task<void> {
    runtime::TaskGroup tg(runtime::TaskGroup::OnFailure::keep_going);
    auto b = tg.create_task(bad());
    auto s = tg.create_task(slow());
    co_await tg.join();
    CHECK_FALSE(b.outcome().ok());
    CHECK(s.result() == 1);
  });
}

TEST_CASE("cancelling the task in join cancels every child, waits for them, then throws", "[task_group][cancel]") {
  runtime::Event never;
  int cleaned = 0;
  bool all_finished_when_join_threw = false;
  bool join_threw_cancellation = false;
  auto child = [&]() -> Task<void> {
    try {
      co_await never.wait();
    } catch (...) {
      ++cleaned;
      throw;
    }
  };
  auto parent = [&]() -> Task<void> {
    runtime::TaskGroup tg;
    for (int i = 0; i < 3; ++i) tg.create_task(child());
    try {
      co_await tg.join();
    } catch (const std::exception& e) {
      join_threw_cancellation = runtime::is_cancellation(e);
      all_finished_when_join_threw = (cleaned == 3 && tg.running() == 0);
      throw;
    }
  };
  run([&]() -> Task<void> {
    auto p = runtime::create_task(parent());
    co_await until([&] { return never.waiters() == 3; });
    p.cancel();
    bool was_cancelled = co_await ends_cancelled(p.wait());
    CHECK(was_cancelled);
    CHECK(p.cancelled());
  });
  CHECK(join_threw_cancellation);
  CHECK(all_finished_when_join_threw);
  CHECK(cleaned == 3);
  CHECK(never.waiters() == 0);
}

TEST_CASE("a child created in a failing group is cancelled", "[task_group][errors][cancel]") {
  runtime::Event never;
  auto bad = []() -> Task<void> {
    throw std::runtime_error("bad");
    co_return;
  };
  auto waits = [&]() -> Task<void> { co_await never.wait(); };
  run([&]() -> Task<void> {
    runtime::TaskGroup tg;
    auto b = tg.create_task(bad());
    co_await until([&] { return b.done(); });
    auto late = tg.create_task(waits());
    std::string what;
    try {
      co_await tg.join();
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
    CHECK(what == "bad");
    CHECK(late.cancelled());
    CHECK(never.waiters() == 0);
  });
}

TEST_CASE("a group destroyed without join cancels its children", "[task_group][cancel]") {
  runtime::Event never;
  auto waits = [&]() -> Task<void> { co_await never.wait(); };
  run([&]() -> Task<void> {
    std::optional<runtime::TaskHandle<void>> h;
    {
      runtime::TaskGroup tg;
      h = tg.create_task(waits());
      co_await until([&] { return never.waiters() == 1; });
    }
    bool was_cancelled = co_await ends_cancelled(h->wait());
    CHECK(was_cancelled);
    CHECK(never.waiters() == 0);
  });
}

TEST_CASE("TaskGroup::cancel cancels the running children", "[task_group][cancel]") {
  runtime::Event never;
  auto waits = [&]() -> Task<void> { co_await never.wait(); };
  auto quick = []() -> Task<int> { co_return 1; };
  run([&]() -> Task<void> {
    runtime::TaskGroup tg;
    auto q = tg.create_task(quick());
    auto w = tg.create_task(waits());
    co_await until([&] { return never.waiters() == 1 && q.done(); });
    tg.cancel();
    co_await tg.join();  // cancelled children are not failures
    CHECK(w.cancelled());
    CHECK(q.result() == 1);
  });
}
