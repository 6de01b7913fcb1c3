// runtime::as_completed: asyncio.as_completed / Tokio's JoinSet::join_next.
#include <atomic>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

namespace {

// Returns `v` after `turns` turns of the loop; throws for a negative `v`.
Task<int> after_turns(int v, int turns) {
  for (int i = 0; i < turns; ++i) co_await runtime::yield();
  if (v < 0) throw std::runtime_error("failed " + std::to_string(v));
  co_return v;
}

// Waits on `ev` and returns `v`; counts a cancellation, and its end.
struct Counts {
  int cancelled = 0;
  int finished = 0;
};
Task<int> wait_on(runtime::Event& ev, int v, Counts& c) {
  struct End {
    int& n;
    ~End() { ++n; }
  } end{c.finished};
  try {
    co_await ev.wait();
  } catch (const std::exception& e) {
    if (runtime::is_cancellation(e)) ++c.cancelled;
    throw;
  }
  co_return v;
}

}  // namespace

TEST_CASE("as_completed hands out results in completion order, with their indices", "[as_completed]") {
  std::vector<std::size_t> indices;
  std::vector<int> values;
  run([&]() -> Task<void> {
    std::vector<Task<int>> tasks;
    const int turns[] = {5, 1, 3, 0, 8};
    for (int i = 0; i < 5; ++i) tasks.push_back(after_turns(10 * i, turns[i]));
    auto it = runtime::as_completed(std::move(tasks));
    while (auto done = co_await it.next()) {
      indices.push_back(done->index);
      values.push_back(done->outcome.value());
    }
    const auto next_result = co_await it.next();
    CHECK_FALSE(next_result.has_value());  // and it stays exhausted
  });
  CHECK(indices == std::vector<std::size_t>{3, 1, 2, 0, 4});
  CHECK(values == std::vector<int>{30, 10, 20, 0, 40});
}

TEST_CASE("as_completed hands out each result as soon as its task finishes", "[as_completed]") {
  runtime::Event go[3];
  Counts c;
  std::vector<int> got;
  run([&]() -> Task<void> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 3; ++i) tasks.push_back(wait_on(go[i], i, c));
    auto it = runtime::as_completed(std::move(tasks));
    co_await until([&] { return go[0].waiters() + go[1].waiters() + go[2].waiters() == 3; });
    for (int i : {2, 0, 1}) {
      go[i].set();  // the others still wait: the result comes before they finish
      auto done = co_await it.next();
      REQUIRE(done.has_value());
      got.push_back(done->outcome.value());
      CHECK(c.finished == static_cast<int>(got.size()));
    }
    const auto next_result = co_await it.next();
    CHECK_FALSE(next_result.has_value());
  });
  CHECK(got == std::vector<int>{2, 0, 1});
  CHECK(c.cancelled == 0);
}

TEST_CASE("as_completed: a failed task is an outcome, the iteration goes on", "[as_completed][errors]") {
  std::vector<std::string> seen;
  run([&]() -> Task<void> {
    std::vector<Task<int>> tasks;
    tasks.push_back(after_turns(1, 2));
    tasks.push_back(after_turns(-2, 0));
    tasks.push_back(after_turns(3, 4));
    auto it = runtime::as_completed(std::move(tasks));
    while (auto done = co_await it.next()) {
      if (done->outcome.ok()) {
        seen.push_back(std::to_string(done->outcome.value()));
      } else {
        CHECK_THROWS_WITH(done->outcome.value(), "failed -2");
        seen.push_back("error " + std::to_string(done->index));
      }
    }
  });
  CHECK(seen == std::vector<std::string>{"error 1", "1", "3"});
}

TEST_CASE("as_completed of void tasks and of no tasks", "[as_completed]") {
  int ran = 0;
  auto bump = [&]() -> Task<void> {
    co_await runtime::yield();
    ++ran;
  };
  int handed_out = 0;
  run([&]() -> Task<void> {
    auto none = runtime::as_completed(std::vector<Task<int>>{});
    const auto next_result = co_await none.next();
    CHECK_FALSE(next_result.has_value());
    std::vector<Task<void>> tasks;
    for (int i = 0; i < 3; ++i) tasks.push_back(bump());
    auto it = runtime::as_completed(std::move(tasks));
    while (auto done = co_await it.next()) {
      CHECK(done->outcome.value() == runtime::None{});
      ++handed_out;
    }
  });
  CHECK(ran == 3);
  CHECK(handed_out == 3);
}

TEST_CASE("cancelling the task in next() cancels the rest, waits for them, then throws", "[as_completed][cancel]") {
  runtime::Event never, one_go;
  Counts c;
  int finished_when_thrown = -1;
  int got = -1;
  auto consumer = [&]() -> Task<void> {
    std::vector<Task<int>> tasks;
    tasks.push_back(wait_on(one_go, 7, c));
    for (int i = 0; i < 4; ++i) tasks.push_back(wait_on(never, i, c));
    auto it = runtime::as_completed(std::move(tasks));
    auto first = co_await it.next();
    got = first->outcome.value();
    try {
      co_await it.next();  // cancelled while waiting here
    } catch (const std::exception& e) {
      if (runtime::is_cancellation(e)) finished_when_thrown = c.finished;
      throw;
    }
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(consumer());
    co_await until([&] { return never.waiters() == 4 && one_go.waiters() == 1; });
    one_go.set();
    co_await until([&] { return got == 7; });
    co_await runtime::yield();  // the consumer is parked in its second next()
    t.cancel();
    const bool ended_cancelled = co_await ends_cancelled(t.wait());
    CHECK(ended_cancelled);
  });
  CHECK(finished_when_thrown == 5);
  CHECK(c.cancelled == 4);
  CHECK(never.waiters() == 0);
}

TEST_CASE("shutdown() cancels the rest, waits for them and drops their results", "[as_completed][cancel]") {
  runtime::Event never;
  runtime::Lock lock;
  Counts c;
  auto holds_lock = [&]() -> Task<int> {
    auto g = co_await lock.acquire();
    co_await never.wait();  // cancelled: the guard goes on the way out
    co_return 0;
  };
  auto late_guard = [&]() -> Task<int> {
    co_await runtime::yield();
    co_return 1;
  };
  run([&]() -> Task<void> {
    std::vector<Task<int>> tasks;
    tasks.push_back(late_guard());
    tasks.push_back(wait_on(never, 1, c));
    tasks.push_back(holds_lock());
    tasks.push_back(wait_on(never, 3, c));
    auto it = runtime::as_completed(std::move(tasks));
    co_await until([&] { return never.waiters() == 3; });
    co_await it.shutdown();
    CHECK(c.finished == 2);  // both waiters, before shutdown returned
    CHECK(c.cancelled == 2);
    CHECK_FALSE(lock.locked());
    const auto next_result = co_await it.next();
    CHECK_FALSE(next_result.has_value());  // the finished one's result was dropped too
  });
  CHECK(never.waiters() == 0);
}

TEST_CASE("an as_completed destroyed early cancels what is left, run() waits for it", "[as_completed][cancel]") {
  runtime::Event never;
  Counts c;
  bool finished_at_break = true;
  run([&]() -> Task<void> {
    {
      std::vector<Task<int>> tasks;
      tasks.push_back(after_turns(1, 0));
      for (int i = 0; i < 3; ++i) tasks.push_back(wait_on(never, i, c));
      auto it = runtime::as_completed(std::move(tasks));
      auto first = co_await it.next();
      CHECK(first->outcome.value() == 1);
      co_await until([&] { return never.waiters() == 3; });
    }  // left early: the three are cancelled, not awaited
    finished_at_break = c.finished == 3;
    co_await until([&] { return c.finished == 3; });
  });
  CHECK_FALSE(finished_at_break);
  CHECK(c.cancelled == 3);
  CHECK(never.waiters() == 0);
}

TEST_CASE("as_completed on several loop threads: every task handed out once", "[as_completed][threads]") {
  constexpr int kTasks = 300;
  std::atomic<int> bad{0};
  std::set<std::size_t> indices;
  auto work = [](int i) -> Task<int> {
    for (int k = 0; k < i % 4; ++k) co_await runtime::yield();
    co_return i;
  };
  run(
      [&]() -> Task<void> {
        std::vector<Task<int>> tasks;
        for (int i = 0; i < kTasks; ++i) tasks.push_back(work(i));
        auto it = runtime::as_completed(std::move(tasks));
        while (auto done = co_await it.next()) {
          if (done->outcome.value() != static_cast<int>(done->index)) ++bad;
          indices.insert(done->index);  // one consumer: no race
        }
      },
      4);
  CHECK(bad == 0);
  CHECK(indices.size() == kTasks);
}

TEST_CASE("cancelling consumers of as_completed on several loop threads leaves nothing waiting",
          "[as_completed][threads][cancel]") {
  runtime::Event never;
  std::atomic<int> cancelled{0}, consumers_cancelled{0};
  auto waits = [&]() -> Task<int> {
    try {
      co_await never.wait();
    } catch (...) {
      ++cancelled;
      throw;
    }
    co_return 0;
  };
  auto consumer = [&]() -> Task<void> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 3; ++i) tasks.push_back(waits());
    auto it = runtime::as_completed(std::move(tasks));
    try {
      while (co_await it.next()) {
      }
    } catch (const std::exception& e) {
      if (runtime::is_cancellation(e)) ++consumers_cancelled;
      throw;
    }
  };
  run(
      [&]() -> Task<void> {
        std::vector<runtime::TaskHandle<void>> consumers;
        for (int i = 0; i < 30; ++i) consumers.push_back(runtime::create_task(consumer()));
        co_await until([&] { return never.waiters() == 90; });
        for (auto& t : consumers) t.cancel();
        for (auto& t : consumers) co_await ends_cancelled(t.wait());
      },
      4);
  CHECK(cancelled == 90);
  CHECK(consumers_cancelled == 30);
  CHECK(never.waiters() == 0);
}

TEST_CASE("as_completed of a one-thread loop consumed on another loop: logic_error", "[as_completed]") {
  run([&]() -> Task<void> {
    std::vector<Task<int>> tasks;
    tasks.push_back([]() -> Task<int> { co_return 7; }());
    auto results = runtime::as_completed(std::move(tasks));
    CHECK(throws_logic_error_on_another_loop([&]() -> Task<void> { co_await results.next(); }));
    auto done = co_await results.next();  // on its own loop it goes on as ever
    REQUIRE(done);
    CHECK(done->outcome.value() == 7);
    CHECK_FALSE(co_await results.next());
  });
}
