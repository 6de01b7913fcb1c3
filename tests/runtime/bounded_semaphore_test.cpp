// runtime::BoundedSemaphore: asyncio.BoundedSemaphore.
#include <atomic>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("a bounded semaphore is a semaphore: permits, FIFO hand-over", "[bounded_semaphore]") {
  runtime::BoundedSemaphore sem(1);
  runtime::Semaphore& base = sem;
  std::vector<int> order;
  auto waiter = [&](int id) -> Task<void> {
    auto p = co_await base.acquire();
    order.push_back(id);
  };
  run([&]() -> Task<void> {
    auto p = co_await sem.acquire();
    auto w1 = runtime::create_task(waiter(1));
    co_await until([&] { return sem.waiters() == 1; });
    auto w2 = runtime::create_task(waiter(2));
    co_await until([&] { return sem.waiters() == 2; });
    p.release();
    co_await w1.wait();
    co_await w2.wait();
  });
  CHECK(order == std::vector<int>{1, 2});
  CHECK(sem.available() == 1);
}

TEST_CASE("release without a detached permit throws ReleasedTooManyTimes and changes nothing",
          "[bounded_semaphore][errors]") {
  runtime::BoundedSemaphore sem(2);
  CHECK_THROWS_AS(sem.release(), runtime::ReleasedTooManyTimes);
  CHECK_THROWS_WITH(sem.release(), "BoundedSemaphore released too many times");
  CHECK(sem.available() == 2);
  run([&]() -> Task<void> {
    // A permit held by its RAII object is not the caller's to release: the
    // stray release is refused at once, not when the holder gives it back.
    auto held = co_await sem.acquire();
    CHECK_THROWS_AS(sem.release(), runtime::ReleasedTooManyTimes);
    CHECK(sem.available() == 1);
  });
  CHECK(sem.available() == 2);
  // ReleasedTooManyTimes is a std::logic_error, the runtime's error for misuse.
  try {
    sem.release();
    FAIL("release() did not throw");
  } catch (const std::logic_error& e) {
    CHECK(std::string(e.what()) == "BoundedSemaphore released too many times");
  }
}

TEST_CASE("each detached permit allows exactly one release", "[bounded_semaphore]") {
  runtime::BoundedSemaphore sem(2);
  run([&]() -> Task<void> {
    (co_await sem.acquire()).detach();
    (co_await sem.acquire()).detach();
    CHECK(sem.available() == 0);
    sem.release();
    CHECK(sem.available() == 1);
    sem.release();
    CHECK(sem.available() == 2);
    CHECK_THROWS_AS(sem.release(), runtime::ReleasedTooManyTimes);
    CHECK(sem.available() == 2);
  });
}

TEST_CASE("cancelling a waiter on a bounded semaphore leaves count and bound as they were",
          "[bounded_semaphore][cancel]") {
  runtime::BoundedSemaphore sem(1);
  auto waiter = [&]() -> Task<void> { auto p = co_await sem.acquire(); };
  run([&]() -> Task<void> {
    (co_await sem.acquire()).detach();
    auto w = runtime::create_task(waiter());
    co_await until([&] { return sem.waiters() == 1; });
    w.cancel();
    bool c = co_await ends_cancelled(w.wait());
    CHECK(c);
    CHECK(sem.waiters() == 0);
    CHECK(sem.available() == 0);
    sem.release();  // the detached permit, not handed to the cancelled waiter
    CHECK(sem.available() == 1);
    CHECK_THROWS_AS(sem.release(), runtime::ReleasedTooManyTimes);
  });
}

TEST_CASE("detach and release on several loop threads keep the count within the bound",
          "[bounded_semaphore][threads]") {
  // Each round takes a permit, detaches it, sometimes holds it across a turn
  // (others queue) and gives it back with release(): the detached count is
  // updated from four threads at once and must balance to zero.
  runtime::BoundedSemaphore sem(3);
  Occupancy holders;
  constexpr int tasks = 8;
  constexpr int rounds = 200;
  auto worker = [&](int id) -> Task<void> {
    for (int r = 0; r < rounds; ++r) {
      (co_await sem.acquire()).detach();
      holders.enter();
      if ((id + r) % 2 == 0) co_await runtime::yield();
      holders.leave();
      sem.release();
    }
  };
  run(
      [&]() -> Task<void> {
        std::vector<Task<void>> ws;
        for (int i = 0; i < tasks; ++i) ws.push_back(worker(i));
        co_await runtime::gather(std::move(ws));
      },
      4);
  CHECK(holders.most <= 3);
  CHECK(holders.most >= 1);
  CHECK(sem.available() == 3);
  CHECK(sem.waiters() == 0);
  CHECK_THROWS_AS(sem.release(), runtime::ReleasedTooManyTimes);
}
