// runtime::to_thread / runtime::to_cpu: asyncio.to_thread, run_in_executor.
#include <atomic>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("to_thread returns the result of work run on another thread", "[to_thread]") {
  auto loop_id = std::this_thread::get_id();
  std::thread::id work_id;
  int v = run([&]() -> Task<int> {
    co_return co_await runtime::to_thread([&] {
      work_id = std::this_thread::get_id();
      std::this_thread::sleep_for(10ms);  // blocking, as to_thread's work is
      return 21 * 2;
    });
  });
  CHECK(v == 42);
  CHECK(work_id != loop_id);
}

TEST_CASE("to_thread of void work", "[to_thread]") {
  std::atomic<bool> ran{false};
  run([&]() -> Task<void> { co_await runtime::to_thread([&] { ran = true; }); });
  CHECK(ran);
}

TEST_CASE("to_thread rethrows the work's exception", "[to_thread][errors]") {
  CHECK_THROWS_WITH(run([]() -> Task<int> {
                      co_return co_await runtime::to_thread([]() -> int { throw std::runtime_error("io failed"); });
                    }),
                    "io failed");
}

TEST_CASE("to_cpu returns results and rethrows exceptions", "[to_thread][cpu]") {
  auto loop_id = std::this_thread::get_id();
  std::thread::id work_id;
  long sum = run([&]() -> Task<long> {
    co_return co_await runtime::to_cpu([&] {
      work_id = std::this_thread::get_id();
      std::vector<long> v(100000);
      std::iota(v.begin(), v.end(), 1L);
      return std::accumulate(v.begin(), v.end(), 0L);
    });
  });
  CHECK(sum == 100000L * 100001L / 2);
  CHECK(work_id != loop_id);
  CHECK_THROWS_AS(run([]() -> Task<void> { co_await runtime::to_cpu([] { throw std::domain_error("cpu"); }); }),
                  std::domain_error);
}

TEST_CASE("several to_cpu jobs through gather keep their order", "[to_thread][cpu]") {
  auto r = run([]() -> Task<std::vector<int>> {
    std::vector<Task<int>> jobs;
    for (int i = 0; i < 8; ++i) jobs.push_back(runtime::to_cpu([i] { return i * i; }));
    co_return co_await runtime::gather(std::move(jobs));
  });
  CHECK(r == std::vector<int>{0, 1, 4, 9, 16, 25, 36, 49});
}

TEST_CASE("the loop keeps running while to_thread work blocks", "[to_thread]") {
  // The blocking work waits for a flag that only a loop task sets: it can end
  // only if the loop was free meanwhile.
  std::atomic<bool> flag{false};
  bool saw_flag = run([&]() -> Task<bool> {
    auto setter = [&]() -> Task<void> {
      co_await runtime::sleep(5ms);
      flag = true;
    };
    auto t = runtime::create_task(setter());
    bool seen = co_await runtime::to_thread([&] {
      auto deadline = Clock::now() + 10s;
      while (!flag && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
      return flag.load();
    });
    co_await t.wait();
    co_return seen;
  });
  CHECK(saw_flag);
}

TEST_CASE("cancelling a task in to_thread stops the wait at once, the result is dropped", "[to_thread][cancel]") {
  struct Shared {
    std::atomic<bool> started{false};
    std::atomic<bool> release{false};
    std::atomic<bool> finished{false};
  };
  auto sh = std::make_shared<Shared>();
  auto waits_blocking = [sh]() -> Task<int> {
    // Named first: GCC 12 destroys a capturing lambda written inside a
    // co_await expression twice.
    auto work = [sh] {
      sh->started = true;
      auto deadline = Clock::now() + 10s;
      while (!sh->release && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
      sh->finished = true;
      return 1;
    };
    co_return co_await runtime::to_thread(std::move(work));
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(waits_blocking());
    co_await runtime::wait_for(until([&] { return sh->started.load(); }, 1000000), 10s);
    t.cancel();
    bool c = co_await ends_cancelled(t.wait());
    CHECK(c);
    CHECK_FALSE(sh->finished);  // the wait ended while the work still ran
  });
  sh->release = true;
  auto deadline = Clock::now() + 10s;
  while (!sh->finished && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  CHECK(sh->finished);
}

TEST_CASE("to_thread from tasks on several loop threads", "[to_thread][threads]") {
  std::atomic<int> sum{0};
  auto one = [&](int i) -> Task<void> { sum += co_await runtime::to_thread([i] { return i; }); };
  run(
      [&]() -> Task<void> {
        std::vector<Task<void>> ts;
        for (int i = 1; i <= 20; ++i) ts.push_back(one(i));
        co_await runtime::gather(std::move(ts));
      },
      4);
  CHECK(sum == 210);
}
