// runtime::run: asyncio.run.
#include <atomic>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "helpers.hpp"

using namespace rt_test;

namespace {
Task<int> forty_two() {
  co_await runtime::yield();
  co_return 42;
}

Task<std::string> text() { co_return "hello"; }

Task<void> mark(bool& ran) {
  ran = true;
  co_return;
}

Task<int> throws_after_yield() {
  co_await runtime::yield();
  throw std::runtime_error("main failed");
}
}  // namespace

TEST_CASE("run returns the value of the main task", "[run]") {
  CHECK(runtime::run(forty_two()) == 42);
  CHECK(runtime::run(text()) == "hello");
}

TEST_CASE("run of a void task returns once it is done", "[run]") {
  bool ran = false;
  runtime::run(mark(ran));
  CHECK(ran);
}

TEST_CASE("calling a coroutine function runs none of its body", "[run]") {
  bool ran = false;
  Task<void> t = mark(ran);
  CHECK_FALSE(ran);
  runtime::run(std::move(t));
  CHECK(ran);
}

TEST_CASE("run rethrows the main task's exception", "[run]") {
  CHECK_THROWS_WITH(runtime::run(throws_after_yield()), "main failed");
  CHECK_THROWS_AS(runtime::run(throws_after_yield()), std::runtime_error);
}

TEST_CASE("runs are independent and may follow each other", "[run]") {
  for (int i = 0; i < 3; ++i) CHECK(runtime::run(forty_two()) == 42);
}

TEST_CASE("create_task outside run throws logic_error", "[run]") {
  CHECK_THROWS_AS(runtime::create_task(forty_two()), std::logic_error);
}

TEST_CASE("run cancels leftover tasks when main finishes", "[run][cancel]") {
  runtime::Event never;
  runtime::Lock lock;
  int started = 0;
  int cancelled = 0;
  auto waits_forever = [&]() -> Task<void> {
    ++started;
    try {
      co_await never.wait();
    } catch (const std::exception& e) {
      if (runtime::is_cancellation(e)) ++cancelled;
      throw;
    }
  };
  auto sleeps_with_lock = [&]() -> Task<void> {
    auto g = co_await lock.acquire();
    ++started;
    try {
      co_await runtime::sleep(30s);
    } catch (const std::exception& e) {
      if (runtime::is_cancellation(e)) ++cancelled;
      throw;
    }
  };
  auto start = Clock::now();
  int v = run([&]() -> Task<int> {
    runtime::create_task(waits_forever());
    runtime::create_task(waits_forever());
    runtime::create_task(sleeps_with_lock());
    co_await until([&] { return started == 3; });
    co_return 7;
  });
  CHECK(v == 7);
  CHECK(started == 3);
  CHECK(cancelled == 3);
  CHECK(never.waiters() == 0);
  CHECK_FALSE(lock.locked());
  CHECK(ms_since(start) < 5000);
}

TEST_CASE("run cancels leftover tasks when main fails, then rethrows", "[run][cancel]") {
  runtime::Event never;
  bool cancelled = false;
  bool started = false;
  auto waits_forever = [&]() -> Task<void> {
    started = true;
    try {
      co_await never.wait();
    } catch (const std::exception& e) {
      cancelled = runtime::is_cancellation(e);
      throw;
    }
  };
  CHECK_THROWS_WITH(run([&]() -> Task<void> {
                      runtime::create_task(waits_forever());
                      co_await until([&] { return started; });
                      throw std::runtime_error("main failed");
                    }),
                    "main failed");
  CHECK(cancelled);
  CHECK(never.waiters() == 0);
}

TEST_CASE("leftover tasks that were never started are cancelled too", "[run][cancel]") {
  runtime::Event never;
  std::atomic<int> cancelled{0};
  auto waits_forever = [&]() -> Task<void> {
    try {
      co_await never.wait();
    } catch (...) {
      ++cancelled;
      throw;
    }
  };
  run([&]() -> Task<void> {
    // main returns before these tasks have had a turn
    for (int i = 0; i < 5; ++i) runtime::create_task(waits_forever());
    co_return;
  });
  CHECK(cancelled == 5);
  CHECK(never.waiters() == 0);
}

TEST_CASE("run with several threads runs tasks in parallel", "[run][threads]") {
  // Task a spins (without yielding) until task b has run: on one thread this
  // could only end by the time limit; on several it ends at once.
  std::atomic<bool> b_ran{false};
  std::atomic<bool> a_saw_b{false};
  std::mutex ids_m;
  std::set<std::thread::id> ids;
  auto a = [&]() -> Task<void> {
    {
      std::lock_guard lk(ids_m);
      ids.insert(std::this_thread::get_id());
    }
    auto deadline = Clock::now() + 10s;
    while (!b_ran.load() && Clock::now() < deadline) std::this_thread::yield();
    a_saw_b = b_ran.load();
    co_return;
  };
  auto b = [&]() -> Task<void> {
    {
      std::lock_guard lk(ids_m);
      ids.insert(std::this_thread::get_id());
    }
    b_ran = true;
    co_return;
  };
  auto start = Clock::now();
  run(
      [&]() -> Task<void> {
        auto ta = runtime::create_task(a());
        auto tb = runtime::create_task(b());
        co_await ta.wait();
        co_await tb.wait();
      },
      4);
  CHECK(a_saw_b);
  CHECK(ids.size() >= 2);
  CHECK(ms_since(start) < 5000);
}

TEST_CASE("run with several threads cancels leftovers and returns the value", "[run][threads][cancel]") {
  runtime::Event never;
  std::atomic<int> started{0};
  std::atomic<int> cancelled{0};
  auto waits_forever = [&]() -> Task<void> {
    ++started;
    try {
      co_await never.wait();
    } catch (...) {
      ++cancelled;
      throw;
    }
  };
  int v = run(
      [&]() -> Task<int> {
        for (int i = 0; i < 16; ++i) runtime::create_task(waits_forever());
        co_await until([&] { return started == 16; });
        co_return 3;
      },
      4);
  CHECK(v == 3);
  CHECK(cancelled == 16);
  CHECK(never.waiters() == 0);
}
