// runtime::wait_for: asyncio.wait_for / asyncio.timeout.
#include <atomic>
#include <stdexcept>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("expiry cancels the work and throws TimeoutError", "[timeout][cancel]") {
  runtime::Event never;
  bool work_cancelled = false;
  bool work_finished_before_timeout_error = false;
  auto work = [&]() -> Task<int> {
    try {
      co_await never.wait();
    } catch (const std::exception& e) {
      work_cancelled = runtime::is_cancellation(e);
      throw;
    }
    co_return 1;
  };
  auto start = Clock::now();
  run([&]() -> Task<void> {
    bool timed_out = false;
    try {
      co_await runtime::wait_for(work(), 50ms);
    } catch (const runtime::TimeoutError&) {
      timed_out = true;
      work_finished_before_timeout_error = work_cancelled;
    }
    CHECK(timed_out);
  });
  auto ms = ms_since(start);
  CHECK(work_cancelled);
  CHECK(work_finished_before_timeout_error);
  CHECK(never.waiters() == 0);
  CHECK(ms >= 50);
  CHECK(ms < 5000);
}

TEST_CASE("fast work wins and the deadline does not hold it up", "[timeout]") {
  auto quick = []() -> Task<int> {
    co_await runtime::yield();
    co_return 7;
  };
  auto start = Clock::now();
  int v = run([&]() -> Task<int> { co_return co_await runtime::wait_for(quick(), 10s); });
  CHECK(v == 7);
  CHECK(ms_since(start) < 2000);
}

TEST_CASE("void work under a deadline", "[timeout]") {
  bool ran = false;
  auto work = [&]() -> Task<void> {
    co_await runtime::sleep(1ms);
    ran = true;
  };
  run([&]() -> Task<void> { co_await runtime::wait_for(work(), 10s); });
  CHECK(ran);
  auto slow = []() -> Task<void> { co_await runtime::sleep(30s); };
  CHECK_THROWS_AS(run([&]() -> Task<void> { co_await runtime::wait_for(slow(), 20ms); }), runtime::TimeoutError);
}

TEST_CASE("the work's own exception passes through unchanged", "[timeout][errors]") {
  auto bad = []() -> Task<int> {
    co_await runtime::yield();
    throw std::logic_error("own error");
  };
  CHECK_THROWS_AS(run([&]() -> Task<int> { co_return co_await runtime::wait_for(bad(), 10s); }), std::logic_error);
}

TEST_CASE("a timeout gives back the lock and permits the work held or waited for", "[timeout][cancel]") {
  runtime::Lock lock;
  runtime::Semaphore sem(1);
  auto holds_lock = [&]() -> Task<void> {
    auto g = co_await lock.acquire();
    co_await runtime::sleep(30s);
  };
  auto waits_permit = [&]() -> Task<void> { auto p = co_await sem.acquire(); };
  run([&]() -> Task<void> {
    auto held = sem.try_acquire();
    REQUIRE(held.has_value());
    bool t1 = false, t2 = false;
    try {
      co_await runtime::wait_for(holds_lock(), 20ms);
    } catch (const runtime::TimeoutError&) {
      t1 = true;
    }
    try {
      co_await runtime::wait_for(waits_permit(), 20ms);
    } catch (const runtime::TimeoutError&) {
      t2 = true;
    }
    CHECK(t1);
    CHECK(t2);
    CHECK_FALSE(lock.locked());
    CHECK(lock.waiters() == 0);
    CHECK(sem.waiters() == 0);
    CHECK(sem.available() == 0);
    held->release();
    CHECK(sem.available() == 1);
  });
}

TEST_CASE("cancelling the task in wait_for cancels the work, that is not a timeout", "[timeout][cancel]") {
  runtime::Event never;
  bool work_cancelled = false;
  bool saw_timeout = false;
  auto work = [&]() -> Task<void> {
    try {
      co_await never.wait();
    } catch (...) {
      work_cancelled = true;
      throw;
    }
  };
  auto outer = [&]() -> Task<void> {
    try {
      co_await runtime::wait_for(work(), 30s);
    } catch (const runtime::TimeoutError&) {
      saw_timeout = true;
      throw;
    }
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(outer());
    co_await until([&] { return never.waiters() == 1; });
    t.cancel();
    bool c = co_await ends_cancelled(t.wait());
    CHECK(c);
  });
  CHECK(work_cancelled);
  CHECK_FALSE(saw_timeout);
  CHECK(never.waiters() == 0);
}

TEST_CASE("nested deadlines: the inner, shorter one fires", "[timeout]") {
  auto slow = []() -> Task<int> {
    co_await runtime::sleep(30s);
    co_return 0;
  };
  auto inner = [&]() -> Task<int> {
    try {
      co_return co_await runtime::wait_for(slow(), 20ms);
    } catch (const runtime::TimeoutError&) {
      co_return -1;
    }
  };
  int v = run([&]() -> Task<int> { co_return co_await runtime::wait_for(inner(), 10s); });
  CHECK(v == -1);
}

TEST_CASE("deadlines on several threads: slow work times out, fast work wins", "[timeout][threads]") {
  std::atomic<int> ok{0};
  std::atomic<int> timeouts{0};
  std::atomic<int> other{0};
  auto work = [](int i) -> Task<int> {
    if (i % 2) co_await runtime::sleep(30s);
    co_await runtime::yield();
    co_return i;
  };
  auto one = [&](int i) -> Task<void> {
    try {
      int v = co_await runtime::wait_for(work(i), (i % 2) ? 30ms : 10s);
      if (v == i) ++ok;
    } catch (const runtime::TimeoutError&) {
      ++timeouts;
    } catch (...) {
      ++other;
    }
  };
  auto start = Clock::now();
  run(
      [&]() -> Task<void> {
        std::vector<Task<void>> ts;
        for (int i = 0; i < 20; ++i) ts.push_back(one(i));
        co_await runtime::gather(std::move(ts));
      },
      4);
  CHECK(ok == 10);
  CHECK(timeouts == 10);
  CHECK(other == 0);
  CHECK(ms_since(start) < 5000);
}
