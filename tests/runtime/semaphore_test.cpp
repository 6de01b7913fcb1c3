// runtime::Semaphore: asyncio.Semaphore.
#include <algorithm>
#include <atomic>
#include <optional>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("permits are counted and given back by their RAII objects", "[semaphore]") {
  runtime::Semaphore sem(2);
  run([&]() -> Task<void> {
    CHECK(sem.available() == 2);
    auto p1 = co_await sem.acquire();
    CHECK(p1);
    CHECK(sem.available() == 1);
    {
      auto p2 = co_await sem.acquire();
      CHECK(sem.available() == 0);
      CHECK_FALSE(sem.try_acquire().has_value());
    }
    CHECK(sem.available() == 1);
    runtime::Semaphore::Permit moved(std::move(p1));
    CHECK_FALSE(p1);
    CHECK(sem.available() == 1);
    moved.release();
    CHECK_FALSE(moved);
    CHECK(sem.available() == 2);
    auto t = sem.try_acquire();
    REQUIRE(t.has_value());
    CHECK(sem.available() == 1);
  });
  CHECK(sem.available() == 2);
}

TEST_CASE("a released permit goes to the longest waiter, in FIFO order", "[semaphore][fifo]") {
  runtime::Semaphore sem(1);
  std::vector<int> order;
  auto waiter = [&](int id) -> Task<void> {
    auto p = co_await sem.acquire();
    order.push_back(id);
    co_await runtime::yield();
  };
  run([&]() -> Task<void> {
    auto p = co_await sem.acquire();
    std::vector<runtime::TaskHandle<void>> hs;
    for (int i = 0; i < 6; ++i) {
      hs.push_back(runtime::create_task(waiter(i)));
      co_await until([&] { return sem.waiters() == static_cast<std::size_t>(i + 1); });
    }
    p.release();
    // Handed over, not put back: nobody can barge in ahead of the queue.
    CHECK(sem.available() == 0);
    CHECK_FALSE(sem.try_acquire().has_value());
    for (auto& h : hs) co_await h.wait();
  });
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5});
  CHECK(sem.available() == 1);
  CHECK(sem.waiters() == 0);
}

TEST_CASE("cancelling a waiter leaves the count and the queue as they were", "[semaphore][cancel]") {
  runtime::Semaphore sem(2);
  std::vector<int> order;
  auto waiter = [&](int id) -> Task<void> {
    auto p = co_await sem.acquire();
    order.push_back(id);
  };
  run([&]() -> Task<void> {
    auto a = co_await sem.acquire();
    auto b = co_await sem.acquire();
    auto w1 = runtime::create_task(waiter(1));
    co_await until([&] { return sem.waiters() == 1; });
    auto w2 = runtime::create_task(waiter(2));
    co_await until([&] { return sem.waiters() == 2; });
    auto w3 = runtime::create_task(waiter(3));
    co_await until([&] { return sem.waiters() == 3; });

    w1.cancel();
    bool c1 = co_await ends_cancelled(w1.wait());
    CHECK(c1);
    CHECK(sem.waiters() == 2);
    CHECK(sem.available() == 0);

    a.release();
    b.release();
    co_await w2.wait();
    co_await w3.wait();
    CHECK(order == std::vector<int>{2, 3});
  });
  CHECK(sem.available() == 2);
  CHECK(sem.waiters() == 0);
}

TEST_CASE("cancelling the only waiter, then releasing, restores the permit", "[semaphore][cancel]") {
  runtime::Semaphore sem(1);
  auto waiter = [&]() -> Task<void> { auto p = co_await sem.acquire(); };
  run([&]() -> Task<void> {
    auto held = sem.try_acquire();
    REQUIRE(held.has_value());
    auto w = runtime::create_task(waiter());
    co_await until([&] { return sem.waiters() == 1; });
    w.cancel();
    bool c = co_await ends_cancelled(w.wait());
    CHECK(c);
    CHECK(sem.waiters() == 0);
    CHECK(sem.available() == 0);
    held->release();
    CHECK(sem.available() == 1);  // not handed to the cancelled waiter
  });
}

TEST_CASE("cancelling a task that holds a permit gives it back", "[semaphore][cancel]") {
  runtime::Semaphore sem(1);
  bool holding = false;
  auto holder = [&]() -> Task<void> {
    auto p = co_await sem.acquire();
    holding = true;
    co_await runtime::sleep(30s);
  };
  run([&]() -> Task<void> {
    auto h = runtime::create_task(holder());
    co_await until([&] { return holding; });
    CHECK(sem.available() == 0);
    h.cancel();
    bool c = co_await ends_cancelled(h.wait());
    CHECK(c);
    CHECK(sem.available() == 1);
  });
}

namespace {
// 1000 tasks through a semaphore of `permits`: returns the most holders ever
// seen at once and how many tasks got through.
struct Crowd {
  std::atomic<int> holders{0};
  std::atomic<int> max_holders{0};
  std::atomic<int> done{0};
};

Task<void> hold_once(runtime::Semaphore& sem, Crowd& c, int i) {
  auto p = co_await sem.acquire();
  int now = ++c.holders;
  int seen = c.max_holders.load();
  while (now > seen && !c.max_holders.compare_exchange_weak(seen, now)) {
  }
  if (i % 7 == 0) {
    co_await runtime::sleep(100us);
  } else {
    co_await runtime::yield();
  }
  --c.holders;
  ++c.done;
}

Task<void> crowd(runtime::Semaphore& sem, Crowd& c, int n) {
  std::vector<Task<void>> ts;
  for (int i = 0; i < n; ++i) ts.push_back(hold_once(sem, c, i));
  co_await runtime::gather(std::move(ts));
}
}  // namespace

TEST_CASE("1000 tasks never exceed the permits", "[semaphore]") {
  runtime::Semaphore sem(10);
  Crowd c;
  runtime::run(crowd(sem, c, 1000));
  CHECK(c.done == 1000);
  CHECK(c.max_holders == 10);
  CHECK(sem.available() == 10);
  CHECK(sem.waiters() == 0);
}

TEST_CASE("1000 tasks on several threads never exceed the permits", "[semaphore][threads]") {
  runtime::Semaphore sem(10);
  Crowd c;
  runtime::run(crowd(sem, c, 1000), 4);
  CHECK(c.done == 1000);
  CHECK(c.max_holders <= 10);
  CHECK(c.max_holders >= 1);
  CHECK(sem.available() == 10);
  CHECK(sem.waiters() == 0);
}

TEST_CASE("fast acquires and try_acquire mixed with hand-overs on several threads never exceed the permits", "[semaphore][threads]") {
  // No sleeps: acquires mostly find a permit free (the atomic fast path), some
  // queue, and each release either frees its permit or hands it over; waiters
  // cancelled while queued leave in between.
  runtime::Semaphore sem(3);
  Occupancy holders;
  std::atomic<long> entries{0};
  constexpr int tasks = 16;
  constexpr int rounds = 300;
  auto worker = [&](int id) -> Task<void> {
    for (int r = 0; r < rounds; ++r) {
      if ((id + r) % 5 == 0) {
        if (auto p = sem.try_acquire()) {
          holders.enter();
          ++entries;
          holders.leave();
        }
        co_await runtime::yield();
        continue;
      }
      auto p = co_await sem.acquire();
      holders.enter();
      ++entries;
      if (r % 2 == 0) co_await runtime::yield();  // held across a turn: others queue
      holders.leave();
    }
  };
  auto quitter = [&]() -> Task<void> {
    auto p = co_await sem.acquire();
    holders.enter();
    ++entries;
    holders.leave();
  };
  run_with_quitters(tasks, worker, quitter);
  CHECK(holders.most <= 3);
  CHECK(holders.most >= 1);
  CHECK(entries >= tasks * rounds * 4 / 5);
  CHECK(sem.available() == 3);
  CHECK(sem.waiters() == 0);
}

TEST_CASE("a bare release adds a permit, also past the start count, as asyncio's does", "[semaphore][release]") {
  runtime::Semaphore sem(1);
  sem.release();
  CHECK(sem.available() == 2);
  run([&]() -> Task<void> {
    auto a = co_await sem.acquire();
    auto b = co_await sem.acquire();
    CHECK(sem.available() == 0);
  });
  CHECK(sem.available() == 2);
}

TEST_CASE("a detached permit stays taken until release(), which hands it to the longest waiter",
          "[semaphore][release][fifo]") {
  runtime::Semaphore sem(1);
  std::vector<int> order;
  auto waiter = [&](int id) -> Task<void> {
    auto p = co_await sem.acquire();
    order.push_back(id);
  };
  run([&]() -> Task<void> {
    (co_await sem.acquire()).detach();  // await sem.acquire()
    CHECK(sem.available() == 0);
    auto w1 = runtime::create_task(waiter(1));
    co_await until([&] { return sem.waiters() == 1; });
    auto w2 = runtime::create_task(waiter(2));
    co_await until([&] { return sem.waiters() == 2; });
    sem.release();  // sem.release(): straight to waiter 1
    CHECK(sem.available() == 0);
    CHECK_FALSE(sem.try_acquire().has_value());
    co_await w1.wait();
    co_await w2.wait();
  });
  CHECK(order == std::vector<int>{1, 2});
  CHECK(sem.available() == 1);
}

TEST_CASE("a semaphore made on a one-thread loop: FIFO, no barging, never more holders than permits, "
          "a cancelled waiter leaves nothing", "[semaphore][one_thread]") {
  run([&]() -> Task<void> {
    runtime::Semaphore sem(2);  // this loop's own: its uncontended paths are a plain load and store
    std::vector<int> order;
    int holders = 0, most = 0;
    auto waiter = [&](int id) -> Task<void> {
      auto p = co_await sem.acquire();
      most = std::max(most, ++holders);
      order.push_back(id);
      co_await runtime::yield();
      --holders;
    };
    auto a = sem.try_acquire();
    auto b = sem.try_acquire();
    CHECK(a);
    CHECK(b);
    CHECK_FALSE(sem.try_acquire());
    std::vector<runtime::TaskHandle<void>> waiting;
    for (int id : {1, 99, 2, 3}) waiting.push_back(runtime::create_task(waiter(id)));
    co_await until([&] { return sem.waiters() == 4; });
    waiting[1].cancel();
    CHECK(co_await ends_cancelled(waiting[1].wait()));
    a->release();
    CHECK_FALSE(sem.try_acquire());  // the permit went to the longest waiter
    b->release();
    for (std::size_t i : {0u, 2u, 3u}) co_await waiting[i].wait();
    CHECK(order == std::vector<int>{1, 2, 3});
    CHECK(most <= 2);
    CHECK(sem.available() == 2);
    CHECK(sem.waiters() == 0);
  });
}

TEST_CASE("a semaphore of a one-thread loop acquired on another loop: logic_error", "[semaphore][one_thread]") {
  run([&]() -> Task<void> {
    runtime::Semaphore mine(1);
    CHECK(throws_logic_error_on_another_loop([&]() -> Task<void> { auto p = co_await mine.acquire(); }));
    CHECK(mine.available() == 1);
    auto p = co_await mine.acquire();  // on its own loop as ever
    CHECK(mine.available() == 0);
  });
}
