// runtime::gather: asyncio.gather.
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

namespace {
// Returns `v` after `turns` turns of the loop, logging when it finishes.
Task<int> after_turns(int v, int turns, std::vector<int>* finished) {
  for (int i = 0; i < turns; ++i) co_await runtime::yield();
  finished->push_back(v);
  co_return v;
}

// Waits on `never` until cancelled, and counts the cancellation (an int, or
// an atomic with several loop threads).
template <class Counter>
Task<int> wait_until_cancelled(runtime::Event& never, Counter& cancelled) {
  try {
    co_await never.wait();
  } catch (const std::exception& e) {
    if (runtime::is_cancellation(e)) ++cancelled;
    throw;
  }
  co_return 0;
}

// Gathers make(i) for i < n (a vector of Task<int>) as the main task of a
// loop with `threads` threads; returns the message of the std::runtime_error
// it threw, or "" if it threw none.
template <class Make>
std::string gather_error(int n, Make make, std::size_t threads = 1) {
  std::string what;
  run(
      [&]() -> Task<void> {
        std::vector<Task<int>> tasks;
        for (int i = 0; i < n; ++i) tasks.push_back(make(i));
        try {
          co_await runtime::gather(std::move(tasks));
        } catch (const std::runtime_error& e) {
          what = e.what();
        }
      },
      threads);
  return what;
}
}  // namespace

TEST_CASE("gather returns results in argument order, not completion order", "[gather]") {
  std::vector<int> finished;
  auto [a, b, c] = run([&]() -> Task<std::tuple<int, int, int>> {
    co_return co_await runtime::gather(after_turns(1, 6, &finished), after_turns(2, 3, &finished),
                                       after_turns(3, 0, &finished));
  });
  CHECK(finished == std::vector<int>{3, 2, 1});
  CHECK(a == 1);
  CHECK(b == 2);
  CHECK(c == 3);
}

TEST_CASE("gather over a vector keeps order", "[gather]") {
  std::vector<int> finished;
  auto results = run([&]() -> Task<std::vector<int>> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 8; ++i) tasks.push_back(after_turns(i, 8 - i, &finished));
    co_return co_await runtime::gather(std::move(tasks));
  });
  CHECK(finished == std::vector<int>{7, 6, 5, 4, 3, 2, 1, 0});
  CHECK(results == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
}

TEST_CASE("gather mixes result types, void becomes None", "[gather]") {
  auto str = []() -> Task<std::string> { co_return "s"; };
  auto nothing = []() -> Task<void> { co_await runtime::yield(); };
  auto num = []() -> Task<int> { co_return 1; };
  auto r = run([&]() -> Task<std::tuple<std::string, runtime::None, int>> {
    co_return co_await runtime::gather(str(), nothing(), num());
  });
  CHECK(std::get<0>(r) == "s");
  CHECK(std::get<1>(r) == runtime::None{});
  CHECK(std::get<2>(r) == 1);
}

TEST_CASE("gather of an empty vector returns at once", "[gather]") {
  auto r = run([]() -> Task<std::vector<int>> { co_return co_await runtime::gather(std::vector<Task<int>>{}); });
  CHECK(r.empty());
  auto o = run([]() -> Task<std::vector<runtime::Outcome<int>>> {
    co_return co_await runtime::gather(runtime::return_exceptions, std::vector<Task<int>>{});
  });
  CHECK(o.empty());
}

TEST_CASE("gather of void tasks over a vector", "[gather]") {
  int count = 0;
  auto bump = [&]() -> Task<void> {
    co_await runtime::yield();
    ++count;
  };
  auto r = run([&]() -> Task<std::vector<runtime::None>> {
    std::vector<Task<void>> tasks;
    for (int i = 0; i < 4; ++i) tasks.push_back(bump());
    co_return co_await runtime::gather(std::move(tasks));
  });
  CHECK(r.size() == 4);
  CHECK(count == 4);
}

TEST_CASE("gather runs its tasks concurrently", "[gather]") {
  // Each task waits until all have started: in series this could never end.
  constexpr int n = 5;
  int arrived = 0;
  runtime::Event all_here;
  auto meet = [&](int i) -> Task<int> {
    if (++arrived == n) all_here.set();
    co_await all_here.wait();
    co_return i;
  };
  auto r = run([&]() -> Task<std::vector<int>> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < n; ++i) tasks.push_back(meet(i));
    co_return co_await runtime::wait_for(runtime::gather(std::move(tasks)), 5s);
  });
  CHECK(r == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("gather: the first failure cancels the others and is rethrown after they finished",
          "[gather][errors][cancel]") {
  runtime::Event never;
  int siblings_cancelled = 0;
  auto sibling = [&]() { return wait_until_cancelled(never, siblings_cancelled); };
  auto fails = [&]() -> Task<int> {
    co_await until([&] { return never.waiters() == 2; });
    throw std::runtime_error("first failure");
  };
  int cancelled_at_rethrow = -1;
  std::string what;
  run([&]() -> Task<void> {
    try {
      co_await runtime::gather(sibling(), fails(), sibling());
    } catch (const std::runtime_error& e) {
      what = e.what();
      cancelled_at_rethrow = siblings_cancelled;
    }
  });
  CHECK(what == "first failure");
  CHECK(cancelled_at_rethrow == 2);
  CHECK(never.waiters() == 0);
}

TEST_CASE("gather over a vector: a failure propagates", "[gather][errors]") {
  auto ok = []() -> Task<int> { co_return 1; };
  auto bad = []() -> Task<int> {
    co_await runtime::yield();
    throw std::logic_error("bad");
  };
  CHECK_THROWS_AS(run([&]() -> Task<std::vector<int>> {
                    std::vector<Task<int>> tasks;
                    tasks.push_back(ok());
                    tasks.push_back(bad());
                    tasks.push_back(ok());
                    co_return co_await runtime::gather(std::move(tasks));
                  }),
                  std::logic_error);
}

TEST_CASE("gather with return_exceptions collects every outcome, failures do not cancel", "[gather][errors]") {
  runtime::Event go;
  auto slow = [&]() -> Task<int> {
    co_await go.wait();
    co_return 10;
  };
  auto bad = [&]() -> Task<int> {
    co_await runtime::yield();
    go.set();  // the slow sibling is only released after this failure
    throw std::runtime_error("bad");
  };
  auto nothing = []() -> Task<void> { co_return; };
  run([&]() -> Task<void> {
    auto [a, b, c] = co_await runtime::gather(runtime::return_exceptions, slow(), bad(), nothing());
    CHECK(a.ok());
    CHECK(a.value() == 10);
    CHECK_FALSE(b.ok());
    CHECK_THROWS_WITH(b.value(), "bad");
    CHECK(b.error() != nullptr);
    CHECK(c.ok());
  });
}

TEST_CASE("gather with return_exceptions over a vector keeps order", "[gather][errors]") {
  auto maybe = [](int i) -> Task<int> {
    for (int k = 0; k < 5 - i; ++k) co_await runtime::yield();
    if (i % 2) throw std::runtime_error("odd " + std::to_string(i));
    co_return i * 10;
  };
  run([&]() -> Task<void> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 5; ++i) tasks.push_back(maybe(i));
    auto out = co_await runtime::gather(runtime::return_exceptions, std::move(tasks));
    REQUIRE(out.size() == 5);
    for (int i = 0; i < 5; ++i) {
      if (i % 2) {
        CHECK_FALSE(out[i].ok());
        CHECK_THROWS_WITH(out[i].value(), "odd " + std::to_string(i));
      } else {
        CHECK(out[i].ok());
        CHECK(out[i].value() == i * 10);
      }
    }
  });
}

TEST_CASE("cancelling the task in gather cancels every child and waits for them", "[gather][cancel]") {
  runtime::Event never;
  int cancelled = 0;
  auto child = [&]() -> Task<int> {
    try {
      co_await never.wait();
    } catch (...) {
      ++cancelled;
      throw;
    }
    co_return 0;
  };
  auto gatherer = [&]() -> Task<void> { co_await runtime::gather(child(), child(), child()); };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(gatherer());
    co_await until([&] { return never.waiters() == 3; });
    t.cancel();
    bool was_cancelled = co_await ends_cancelled(t.wait());
    CHECK(was_cancelled);
    CHECK(cancelled == 3);
    CHECK(never.waiters() == 0);
  });
}

// Over a vector the children run without a task state each (detail::ChildRun):
// the same semantics again, through that path.

TEST_CASE("gather over a vector: the first failure cancels the others and is rethrown after they finished",
          "[gather][errors][cancel]") {
  constexpr int kSiblings = 50;
  runtime::Event never;
  runtime::Semaphore permits(kSiblings);
  int siblings_cancelled = 0;
  auto sibling = [&]() -> Task<int> {
    auto permit = co_await permits.acquire();
    co_return co_await wait_until_cancelled(never, siblings_cancelled);
  };
  auto fails = [&]() -> Task<int> {
    co_await until([&] { return never.waiters() == kSiblings; });
    throw std::runtime_error("first failure");
  };
  int cancelled_at_rethrow = -1;
  std::string what;
  run([&]() -> Task<void> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < kSiblings; ++i) {
      if (i == kSiblings / 2) tasks.push_back(fails());
      tasks.push_back(sibling());
    }
    try {
      co_await runtime::gather(std::move(tasks));
    } catch (const std::runtime_error& e) {
      what = e.what();
      cancelled_at_rethrow = siblings_cancelled;
    }
  });
  CHECK(what == "first failure");
  CHECK(cancelled_at_rethrow == kSiblings);
  CHECK(never.waiters() == 0);
  CHECK(permits.available() == kSiblings);
}

TEST_CASE("gather over a vector: a child that was cancelled on its own is rethrown as cancellation",
          "[gather][errors][cancel]") {
  auto quits = []() -> Task<int> {
    co_await runtime::yield();
    runtime::throw_cancelled();
  };
  auto ok = []() -> Task<int> { co_return 1; };
  run([&]() -> Task<void> {
    std::vector<Task<int>> tasks;
    tasks.push_back(ok());
    tasks.push_back(quits());
    bool cancelled = co_await ends_cancelled(runtime::gather(std::move(tasks)));
    CHECK(cancelled);
  });
}

TEST_CASE("cancelling the task in gather over a vector cancels every child, waits for them, leaks no permit",
          "[gather][cancel]") {
  constexpr int kChildren = 100;
  runtime::Event never;
  runtime::Semaphore permits(10);
  int cancelled = 0;
  int finished = 0;
  auto child = [&]() -> Task<int> {
    try {
      auto permit = co_await permits.acquire();  // 90 of them wait here
      co_await never.wait();
    } catch (...) {
      ++cancelled;
      ++finished;
      throw;
    }
    co_return 0;
  };
  auto gatherer = [&]() -> Task<void> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < kChildren; ++i) tasks.push_back(child());
    co_await runtime::gather(std::move(tasks));
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(gatherer());
    co_await until([&] { return never.waiters() == 10 && permits.waiters() == kChildren - 10; });
    t.cancel();
    bool was_cancelled = co_await ends_cancelled(t.wait());
    CHECK(was_cancelled);
    CHECK(finished == kChildren);  // every child had ended when the gather did
  });
  CHECK(cancelled == kChildren);
  CHECK(never.waiters() == 0);
  CHECK(permits.waiters() == 0);
  CHECK(permits.available() == 10);
}

TEST_CASE("gather over a vector with return_exceptions: every child runs to its end", "[gather][errors]") {
  runtime::Event go;
  auto child = [&](int i) -> Task<int> {
    co_await go.wait();
    if (i % 3 == 0) throw std::runtime_error("bad " + std::to_string(i));
    co_return i;
  };
  auto set_when_all_wait = [&]() -> Task<void> {
    co_await until([&] { return go.waiters() == 30; });
    go.set();
  };
  run([&]() -> Task<void> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 30; ++i) tasks.push_back(child(i));
    auto setter = runtime::create_task(set_when_all_wait());
    auto out = co_await runtime::gather(runtime::return_exceptions, std::move(tasks));
    co_await setter.wait();
    REQUIRE(out.size() == 30);
    for (int i = 0; i < 30; ++i) {
      CHECK(out[i].ok() == (i % 3 != 0));
      if (out[i].ok()) CHECK(out[i].value() == i);
    }
  });
}

TEST_CASE("gather over a vector: thousands of children alive at once, results in order", "[gather]") {
  constexpr int kChildren = 5000;
  runtime::Event go;
  auto child = [&](int i) -> Task<int> {
    co_await go.wait();
    co_return i * 2;
  };
  auto set_when_all_wait = [&]() -> Task<void> {
    co_await until([&] { return go.waiters() == kChildren; });
    go.set();
  };
  run([&]() -> Task<void> {
    for (int round = 0; round < 3; ++round) {  // the second and later rounds reuse freed frames
      go.clear();
      std::vector<Task<int>> tasks;
      for (int i = 0; i < kChildren; ++i) tasks.push_back(child(i));
      auto setter = runtime::create_task(set_when_all_wait());
      auto out = co_await runtime::gather(std::move(tasks));
      co_await setter.wait();
      REQUIRE(out.size() == kChildren);
      for (int i = 0; i < kChildren; ++i) REQUIRE(out[i] == i * 2);
    }
  });
}

TEST_CASE("gather over a vector on several loop threads", "[gather][threads]") {
  constexpr int kChildren = 2000;
  std::atomic<int> ran{0};
  runtime::Lock lock;
  long long counter = 0;  // guarded by `lock`
  auto child = [&](int i) -> Task<int> {
    for (int k = 0; k < 3; ++k) co_await runtime::yield();
    {
      auto guard = co_await lock.acquire();
      ++counter;
    }
    ++ran;
    co_return i;
  };
  std::vector<int> out;
  run(
      [&]() -> Task<void> {
        std::vector<Task<int>> tasks;
        for (int i = 0; i < kChildren; ++i) tasks.push_back(child(i));
        out = co_await runtime::gather(std::move(tasks));
      },
      4);
  CHECK(ran == kChildren);
  CHECK(counter == kChildren);
  REQUIRE(out.size() == kChildren);
  for (int i = 0; i < kChildren; ++i) REQUIRE(out[i] == i);
}

TEST_CASE("gather over a vector on several loop threads: a failure cancels the others", "[gather][threads][cancel]") {
  constexpr int kChildren = 200;
  runtime::Event never;
  std::atomic<int> cancelled{0};
  auto child = [&](int i) -> Task<int> {
    if (i == kChildren - 1) {
      co_await until([&] { return never.waiters() == kChildren - 1; });
      throw std::runtime_error("last one fails");
    }
    co_return co_await wait_until_cancelled(never, cancelled);
  };
  CHECK(gather_error(kChildren, child, 4) == "last one fails");
  CHECK(cancelled == kChildren - 1);
  CHECK(never.waiters() == 0);
}

TEST_CASE("gather over a vector on several loop threads: a child that fails at once, while the others are still being started",
          "[gather][threads][cancel]") {
  constexpr int kChildren = 5000;
  std::atomic<int> finished{0};
  auto child = [&](int i) -> Task<int> {
    if (i == 0) throw std::runtime_error("fails at once");
    for (int k = 0; k < 50; ++k) co_await runtime::yield();
    ++finished;
    co_return i;
  };
  for (int round = 0; round < 3; ++round) {
    finished = 0;
    CHECK(gather_error(kChildren, child, 4) == "fails at once");
    // The others were cancelled (most before they started), not left to run
    // their 50 turns.
    CHECK(finished < kChildren / 2);
  }
}

TEST_CASE("gather over a vector on several loop threads: cancelling the gathering task", "[gather][threads][cancel]") {
  constexpr int kChildren = 300;
  runtime::Event never;
  std::atomic<int> cancelled{0};
  auto child = [&](int i) -> Task<int> {
    try {
      if (i % 2) {
        co_await never.wait();
      } else {
        for (;;) co_await runtime::yield();
      }
    } catch (...) {
      ++cancelled;
      throw;
    }
    co_return i;
  };
  auto gatherer = [&]() -> Task<void> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < kChildren; ++i) tasks.push_back(child(i));
    co_await runtime::gather(std::move(tasks));
  };
  std::atomic<bool> was_cancelled{false};
  run(
      [&]() -> Task<void> {
        auto t = runtime::create_task(gatherer());
        co_await until([&] { return never.waiters() == kChildren / 2; });
        t.cancel();
        was_cancelled = co_await ends_cancelled(t.wait());
      },
      4);
  CHECK(was_cancelled);
  CHECK(cancelled == kChildren);
  CHECK(never.waiters() == 0);
}

TEST_CASE("gather over a vector on several loop threads: nested gathers with return_exceptions", "[gather][threads][errors]") {
  auto leaf = [](int i) -> Task<int> {
    co_await runtime::yield();
    if (i % 3 == 0) throw std::runtime_error("bad " + std::to_string(i));
    co_return i;
  };
  auto inner = [&](int i) -> Task<int> {
    std::vector<Task<int>> v;
    for (int k = 0; k < 20; ++k) v.push_back(leaf(i * 100 + k));
    auto out = co_await runtime::gather(runtime::return_exceptions, std::move(v));
    int ok = 0;
    for (auto& o : out) ok += o.ok();
    co_return ok;
  };
  std::vector<int> res;
  run(
      [&]() -> Task<void> {
        for (int r = 0; r < 10; ++r) {
          std::vector<Task<int>> v;
          for (int i = 0; i < 50; ++i) v.push_back(inner(i));
          res = co_await runtime::gather(std::move(v));
        }
      },
      4);
  REQUIRE(res.size() == 50);
  for (int i = 0; i < 50; ++i) {
    int expect = 0;
    for (int k = 0; k < 20; ++k) expect += (i * 100 + k) % 3 != 0;
    CHECK(res[i] == expect);
  }
}

TEST_CASE("gather over a vector: a child that fails before its first wait cancels the rest", "[gather][errors][cancel]") {
  runtime::Event never;
  int cancelled = 0;
  auto child = [&](int i) -> Task<int> {
    if (i == 0) throw std::runtime_error("at once");
    co_return co_await wait_until_cancelled(never, cancelled);
  };
  CHECK(gather_error(100, child) == "at once");
  CHECK(cancelled == 99);
  CHECK(never.waiters() == 0);
}

TEST_CASE("gather over a vector of move-only results", "[gather]") {
  auto boxed = [](int i) -> Task<std::unique_ptr<int>> {
    co_await runtime::yield();
    co_return std::make_unique<int>(i);
  };
  run([&]() -> Task<void> {
    std::vector<Task<std::unique_ptr<int>>> tasks;
    for (int i = 0; i < 10; ++i) tasks.push_back(boxed(i));
    auto out = co_await runtime::gather(std::move(tasks));
    REQUIRE(out.size() == 10);
    for (int i = 0; i < 10; ++i) CHECK(*out[i] == i);
    std::vector<Task<std::unique_ptr<int>>> more;
    for (int i = 0; i < 3; ++i) more.push_back(boxed(i));
    auto outcomes = co_await runtime::gather(runtime::return_exceptions, std::move(more));
    CHECK(*std::move(outcomes[2]).value() == 2);
  });
}

TEST_CASE("a task's wait handed to a gather that runs later outlives its handle", "[gather]") {
  auto answer = []() -> Task<int> { co_return 42; };
  auto other = []() -> Task<int> { co_return 1; };
  CHECK(run([&]() -> Task<int> {
          // The inner handle is a temporary, gone before the gather runs.
          auto later = runtime::create_task(runtime::gather(runtime::create_task(answer()).wait(), other()));
          auto [a, b] = co_await later.wait();
          co_return a + b;
        }) == 43);
}
