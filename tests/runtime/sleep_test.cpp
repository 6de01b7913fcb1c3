// runtime::sleep and runtime::yield: asyncio.sleep.
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("sleep suspends for at least its duration", "[sleep]") {
  auto start = Clock::now();
  run([]() -> Task<void> { co_await runtime::sleep(30ms); });
  CHECK(ms_since(start) >= 30);
}

TEST_CASE("sleep accepts any chrono duration, fractional seconds included", "[sleep]") {
  auto start = Clock::now();
  run([]() -> Task<void> { co_await runtime::sleep(std::chrono::duration<double>(0.02)); });
  CHECK(ms_since(start) >= 20);
}

TEST_CASE("sleeping tasks sleep concurrently", "[sleep]") {
  // Ten 200 ms sleeps in parallel take about 200 ms, far from the 2 s in series.
  auto start = Clock::now();
  run([]() -> Task<void> {
    std::vector<Task<void>> sleeps;
    for (int i = 0; i < 10; ++i) sleeps.push_back(runtime::sleep(200ms));
    co_await runtime::gather(std::move(sleeps));
  });
  auto ms = ms_since(start);
  CHECK(ms >= 200);
  CHECK(ms < 1500);
}

TEST_CASE("a sleeping task lets the others run", "[sleep]") {
  int ticks = 0;
  auto ticker = [&]() -> Task<void> {
    for (int i = 0; i < 5; ++i) {
      ++ticks;
      co_await runtime::yield();
    }
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(ticker());
    co_await runtime::sleep(20ms);
    CHECK(ticks == 5);
    CHECK(t.done());
  });
}

TEST_CASE("yield and sleep(0) give exactly one turn to the ready tasks", "[sleep][yield]") {
  std::vector<std::string> log;
  auto worker = [&](std::string name) -> Task<void> {
    for (int i = 0; i < 3; ++i) {
      log.push_back(name + std::to_string(i));
      co_await runtime::yield();
    }
  };
  auto zero_sleeper = [&](std::string name) -> Task<void> {
    for (int i = 0; i < 3; ++i) {
      log.push_back(name + std::to_string(i));
      co_await runtime::sleep(0ms);
    }
  };
  run([&]() -> Task<void> {
    auto a = runtime::create_task(worker("a"));
    auto b = runtime::create_task(zero_sleeper("b"));
    co_await a.wait();
    co_await b.wait();
  });
  CHECK(log == std::vector<std::string>{"a0", "b0", "a1", "b1", "a2", "b2"});
}

TEST_CASE("a task that only yields keeps neither a due timer nor another thread's completion waiting",
          "[sleep][yield]") {
  // Yields are the loop's ready work; a timer's expiry and a to_thread
  // result come through Asio's scheduler, which has its turn between
  // batches of ready work (asyncio polls for I/O after each ready queue).
  bool timer_fired = false;
  bool thread_done = false;
  auto sleeper = [&]() -> Task<void> {
    co_await runtime::sleep(1ms);
    timer_fired = true;
  };
  auto offloader = [&]() -> Task<void> {
    co_await runtime::to_thread([] {});
    thread_done = true;
  };
  long long yields = 0;
  run([&]() -> Task<void> {
    auto a = runtime::create_task(sleeper());
    auto b = runtime::create_task(offloader());
    auto start = Clock::now();
    while (!(timer_fired && thread_done) && ms_since(start) < 5000) {
      co_await runtime::yield();
      ++yields;
    }
    CHECK(timer_fired);
    CHECK(thread_done);
    co_await a.wait();
    co_await b.wait();
  });
  CHECK(yields > 0);
}

TEST_CASE("a negative sleep is a yield", "[sleep][yield]") {
  bool ran = false;
  auto other = [&]() -> Task<void> {
    ran = true;
    co_return;
  };
  run([&]() -> Task<void> {
    runtime::create_task(other());
    CHECK_FALSE(ran);
    co_await runtime::sleep(-5ms);
    CHECK(ran);
  });
}

TEST_CASE("cancelling a sleeping task interrupts the sleep at once", "[sleep][cancel]") {
  bool asleep = false;
  auto sleeper = [&]() -> Task<void> {
    asleep = true;
    co_await runtime::sleep(30s);
  };
  auto start = Clock::now();
  run([&]() -> Task<void> {
    auto t = runtime::create_task(sleeper());
    co_await until([&] { return asleep; });
    t.cancel();
    bool was_cancelled = co_await ends_cancelled(t.wait());
    CHECK(was_cancelled);
    CHECK(t.done());
    CHECK(t.cancelled());
  });
  CHECK(ms_since(start) < 5000);
}
