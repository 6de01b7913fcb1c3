// runtime::Lock: asyncio.Lock.
#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("acquire takes a free lock, the guard releases it", "[lock]") {
  runtime::Lock lock;
  run([&]() -> Task<void> {
    CHECK_FALSE(lock.locked());
    {
      auto g = co_await lock.acquire();
      CHECK(g.owns_lock());
      CHECK(lock.locked());
    }
    CHECK_FALSE(lock.locked());
    auto g = co_await lock.acquire();
    g.unlock();
    CHECK_FALSE(g.owns_lock());
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("a moved guard carries the lock", "[lock]") {
  runtime::Lock lock;
  run([&]() -> Task<void> {
    auto g = co_await lock.acquire();
    runtime::Lock::Guard moved(std::move(g));
    CHECK_FALSE(g.owns_lock());
    CHECK(moved.owns_lock());
    CHECK(lock.locked());
    runtime::Lock::Guard assigned;
    assigned = std::move(moved);
    CHECK(lock.locked());
    assigned = runtime::Lock::Guard();
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("try_acquire succeeds only on a free lock with nobody queued", "[lock]") {
  runtime::Lock lock;
  std::vector<int> order;
  auto waiter = [&](int id) -> Task<void> {
    auto g = co_await lock.acquire();
    order.push_back(id);
  };
  run([&]() -> Task<void> {
    runtime::Lock::Guard g;
    CHECK(lock.try_acquire(g));
    CHECK(g.owns_lock());
    runtime::Lock::Guard g2;
    CHECK_FALSE(lock.try_acquire(g2));
    auto w = runtime::create_task(waiter(1));
    co_await until([&] { return lock.waiters() == 1; });
    g.unlock();
    // The lock went straight to the waiter: no barging in ahead of it.
    CHECK(lock.locked());
    CHECK_FALSE(lock.try_acquire(g2));
    co_await w.wait();
    CHECK(order == std::vector<int>{1});
    CHECK_FALSE(lock.locked());
    CHECK(lock.try_acquire(g2));
  });
}

TEST_CASE("waiters get the lock in FIFO order", "[lock][fifo]") {
  runtime::Lock lock;
  std::vector<int> order;
  auto waiter = [&](int id) -> Task<void> {
    auto g = co_await lock.acquire();
    order.push_back(id);
    co_await runtime::yield();  // hold it across a turn of the loop
  };
  run([&]() -> Task<void> {
    auto g = co_await lock.acquire();
    std::vector<runtime::TaskHandle<void>> hs;
    for (int i = 0; i < 6; ++i) {
      hs.push_back(runtime::create_task(waiter(i)));
      co_await until([&] { return lock.waiters() == static_cast<std::size_t>(i + 1); });
    }
    // A late comer queues behind them even though it arrives while the lock changes hands.
    g.unlock();
    hs.push_back(runtime::create_task(waiter(6)));
    for (auto& h : hs) co_await h.wait();
  });
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5, 6});
  CHECK_FALSE(lock.locked());
  CHECK(lock.waiters() == 0);
}

TEST_CASE("cancelling a waiter takes it out of the queue and leaves the lock as it was", "[lock][cancel]") {
  runtime::Lock lock;
  std::vector<int> order;
  auto waiter = [&](int id) -> Task<void> {
    auto g = co_await lock.acquire();
    order.push_back(id);
  };
  run([&]() -> Task<void> {
    auto g = co_await lock.acquire();
    auto w1 = runtime::create_task(waiter(1));
    co_await until([&] { return lock.waiters() == 1; });
    auto w2 = runtime::create_task(waiter(2));
    co_await until([&] { return lock.waiters() == 2; });
    auto w3 = runtime::create_task(waiter(3));
    co_await until([&] { return lock.waiters() == 3; });

    w2.cancel();
    bool c2 = co_await ends_cancelled(w2.wait());
    CHECK(c2);
    CHECK(lock.waiters() == 2);
    CHECK(lock.locked());

    g.unlock();
    co_await w1.wait();
    co_await w3.wait();
    CHECK(order == std::vector<int>{1, 3});
    CHECK_FALSE(lock.locked());
    CHECK(lock.waiters() == 0);
  });
}

TEST_CASE("cancelling the only waiter, then releasing, frees the lock", "[lock][cancel]") {
  runtime::Lock lock;
  auto waiter = [&]() -> Task<void> { auto g = co_await lock.acquire(); };
  run([&]() -> Task<void> {
    runtime::Lock::Guard g;
    REQUIRE(lock.try_acquire(g));
    auto w = runtime::create_task(waiter());
    co_await until([&] { return lock.waiters() == 1; });
    w.cancel();
    bool c = co_await ends_cancelled(w.wait());
    CHECK(c);
    CHECK(lock.waiters() == 0);
    CHECK(lock.locked());
    g.unlock();
    CHECK_FALSE(lock.locked());  // not handed to the cancelled waiter
    runtime::Lock::Guard again;
    CHECK(lock.try_acquire(again));
  });
}

TEST_CASE("cancelling a task that holds the lock releases it", "[lock][cancel]") {
  runtime::Lock lock;
  bool holding = false;
  auto holder = [&]() -> Task<void> {
    auto g = co_await lock.acquire();
    holding = true;
    co_await runtime::sleep(30s);
  };
  auto waiter = [&]() -> Task<int> {
    auto g = co_await lock.acquire();
    co_return 1;
  };
  run([&]() -> Task<void> {
    auto h = runtime::create_task(holder());
    co_await until([&] { return holding; });
    auto w = runtime::create_task(waiter());
    co_await until([&] { return lock.waiters() == 1; });
    h.cancel();
    bool c = co_await ends_cancelled(h.wait());
    CHECK(c);
    int v = co_await w.wait();  // the lock passed on to the waiter
    CHECK(v == 1);
    CHECK_FALSE(lock.locked());
    CHECK(lock.waiters() == 0);
  });
}

TEST_CASE("a lock protects a counter across sleeps on several threads", "[lock][threads]") {
  // Read, sleep, write: without mutual exclusion the sleeps interleave the
  // read-modify-write sequences and updates get lost.
  runtime::Lock lock;
  long counter = 0;  // guarded by `lock`
  Occupancy inside;
  constexpr int tasks = 8;
  constexpr int rounds = 25;
  auto worker = [&](int id) -> Task<void> {
    for (int r = 0; r < rounds; ++r) {
      auto g = co_await lock.acquire();
      inside.enter();
      long read = counter;
      if ((id + r) % 3 == 0) {
        co_await runtime::sleep(200us);
      } else {
        co_await runtime::yield();
      }
      counter = read + 1;
      inside.leave();
    }
  };
  run(
      [&]() -> Task<void> {
        std::vector<Task<void>> ws;
        for (int i = 0; i < tasks; ++i) ws.push_back(worker(i));
        co_await runtime::gather(std::move(ws));
      },
      4);
  CHECK(counter == tasks * rounds);
  CHECK(inside.most == 1);
  CHECK_FALSE(lock.locked());
  CHECK(lock.waiters() == 0);
}

TEST_CASE("fast acquires and try_acquire mixed with hand-overs on several threads keep one holder", "[lock][threads]") {
  // No sleeps: most acquires find the lock free (the atomic fast path), some
  // find it held and queue, and every release either frees it or hands it over.
  // Cancelled waiters leave the queue in between. A plain counter (TSan sees
  // any unordered access) and the holder count check the hand-offs.
  runtime::Lock lock;
  long counter = 0;  // guarded by `lock`
  Occupancy inside;
  constexpr int tasks = 16;
  constexpr int rounds = 300;
  auto enter = [&] {
    inside.enter();
    ++counter;
    inside.leave();
  };
  auto worker = [&](int id) -> Task<void> {
    for (int r = 0; r < rounds; ++r) {
      if ((id + r) % 5 == 0) {
        runtime::Lock::Guard g;
        if (lock.try_acquire(g)) enter();
        co_await runtime::yield();
        continue;
      }
      auto g = co_await lock.acquire();
      enter();
      if (r % 2 == 0) co_await runtime::yield();  // held across a turn: others queue
    }
  };
  auto quitter = [&]() -> Task<void> {  // queues, and is cancelled while queued
    auto g = co_await lock.acquire();
    enter();
  };
  run_with_quitters(tasks, worker, quitter);
  CHECK(inside.most == 1);
  CHECK(counter >= tasks * rounds * 4 / 5);
  CHECK_FALSE(lock.locked());
  CHECK(lock.waiters() == 0);
}

TEST_CASE("a lock made on a one-thread loop: FIFO hand-off, no barging, a cancelled waiter leaves nothing",
          "[lock][one_thread]") {
  run([&]() -> Task<void> {
    runtime::Lock lock;  // this loop's own: its uncontended paths are a plain load and store
    std::vector<int> order;
    auto waiter = [&](int id) -> Task<void> {
      auto g = co_await lock.acquire();
      order.push_back(id);
      co_await runtime::yield();  // held across a turn
    };
    runtime::Lock::Guard held;
    CHECK(lock.try_acquire(held));
    auto first = runtime::create_task(waiter(1));
    auto quitter = runtime::create_task(waiter(99));
    auto second = runtime::create_task(waiter(2));
    co_await until([&] { return lock.waiters() == 3; });
    quitter.cancel();
    CHECK(co_await ends_cancelled(quitter.wait()));
    runtime::Lock::Guard other;
    CHECK_FALSE(lock.try_acquire(other));
    held.unlock();
    CHECK(lock.locked());  // handed to the longest waiter, not freed
    CHECK_FALSE(lock.try_acquire(other));  // nobody barges in ahead of the queue
    co_await first.wait();
    co_await second.wait();
    CHECK(order == std::vector<int>{1, 2});
    CHECK_FALSE(lock.locked());
    CHECK(lock.waiters() == 0);
    CHECK(lock.try_acquire(other));
  });
}

TEST_CASE("a lock of a one-thread loop taken on another loop: logic_error, and one made outside any loop is shared",
          "[lock][one_thread]") {
  run([&]() -> Task<void> {
    runtime::Lock mine;
    CHECK(throws_logic_error_on_another_loop([&]() -> Task<void> { auto g = co_await mine.acquire(); }));
    CHECK_FALSE(mine.locked());
    auto g = co_await mine.acquire();  // on its own loop as ever
    CHECK(mine.locked());
  });
  runtime::Lock shared;  // made outside any loop: atomic, any loop may take it
  int taken = 0;
  for (int i = 0; i < 2; ++i) {
    std::thread loop([&] {
      auto take = [&]() -> Task<void> {
        auto g = co_await shared.acquire();
        taken += shared.locked();
      };
      runtime::run(take(), 1);
    });
    loop.join();
  }
  CHECK(taken == 2);
  CHECK_FALSE(shared.locked());
}
