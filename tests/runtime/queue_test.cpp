// runtime::Queue: asyncio.Queue.
#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("items come out in FIFO order, size, empty, full, try_put, try_get", "[queue]") {
  runtime::Queue<int> q(3);
  CHECK(q.maxsize() == 3);
  CHECK(q.empty());
  CHECK_FALSE(q.try_get().has_value());
  CHECK(q.try_put(1));
  CHECK(q.try_put(2));
  CHECK(q.try_put(3));
  CHECK(q.full());
  CHECK_FALSE(q.try_put(4));
  CHECK(q.size() == 3);
  run([&]() -> Task<void> {
    int a = co_await q.get();
    CHECK(a == 1);
    co_await q.put(4);
    int b = co_await q.get();
    int c = co_await q.get();
    int d = co_await q.get();
    CHECK(b == 2);
    CHECK(c == 3);
    CHECK(d == 4);
  });
  CHECK(q.empty());
}

TEST_CASE("an unbounded queue is never full", "[queue]") {
  runtime::Queue<int> q;
  for (int i = 0; i < 1000; ++i) REQUIRE(q.try_put(i));
  CHECK_FALSE(q.full());
  CHECK(q.size() == 1000);
}

TEST_CASE("queues carry move-only items", "[queue]") {
  runtime::Queue<std::unique_ptr<int>> q(1);
  run([&]() -> Task<void> {
    co_await q.put(std::make_unique<int>(7));
    auto p = co_await q.get();
    REQUIRE(p);
    CHECK(*p == 7);
  });
}

TEST_CASE("get waits while empty, a put hands the item to the longest-waiting getter", "[queue][fifo]") {
  runtime::Queue<int> q(2);
  std::vector<std::pair<int, int>> got;  // (getter, item)
  auto getter = [&](int id) -> Task<void> { got.emplace_back(id, co_await q.get()); };
  run([&]() -> Task<void> {
    std::vector<runtime::TaskHandle<void>> hs;
    for (int i = 0; i < 3; ++i) {
      hs.push_back(runtime::create_task(getter(i)));
      co_await runtime::yield();
    }
    co_await runtime::yield();
    CHECK(got.empty());
    co_await q.put(10);
    co_await q.put(11);
    co_await q.put(12);
    CHECK(q.empty());  // handed over, never stored
    for (auto& h : hs) co_await h.wait();
  });
  CHECK(got == std::vector<std::pair<int, int>>{{0, 10}, {1, 11}, {2, 12}});
}

TEST_CASE("put waits while full, freed slots go to waiting producers in FIFO order", "[queue][fifo]") {
  runtime::Queue<int> q(1);
  std::vector<int> put_done;
  auto putter = [&](int v) -> Task<void> {
    co_await q.put(v);
    put_done.push_back(v);
  };
  run([&]() -> Task<void> {
    co_await q.put(0);
    std::vector<runtime::TaskHandle<void>> hs;
    for (int i = 1; i <= 3; ++i) {
      hs.push_back(runtime::create_task(putter(i)));
      co_await runtime::yield();
    }
    co_await runtime::yield();
    CHECK(put_done.empty());
    CHECK(q.size() == 1);
    // A new producer cannot jump the queue through try_put.
    CHECK_FALSE(q.try_put(99));
    std::vector<int> got;
    for (int i = 0; i < 4; ++i) got.push_back(co_await q.get());
    CHECK(got == std::vector<int>{0, 1, 2, 3});
    for (auto& h : hs) co_await h.wait();
  });
  CHECK(put_done == std::vector<int>{1, 2, 3});
  CHECK(q.empty());
}

TEST_CASE("cancelling a waiting get leaves the queue as it was and loses no item", "[queue][cancel]") {
  runtime::Queue<int> q(2);
  std::atomic<int> parked{0};
  auto getter = [&]() -> Task<int> {
    ++parked;
    co_return co_await q.get();
  };
  run([&]() -> Task<void> {
    auto g1 = runtime::create_task(getter());
    auto g2 = runtime::create_task(getter());
    co_await until([&] { return parked == 2; });
    co_await runtime::yield();
    g1.cancel();
    bool c1 = co_await ends_cancelled(g1.wait());
    CHECK(c1);
    CHECK(q.empty());
    co_await q.put(5);
    int v = co_await g2.wait();
    CHECK(v == 5);  // went to the remaining getter, not the cancelled one
    CHECK(q.empty());
    co_await q.put(6);
    CHECK(q.size() == 1);
    int w = co_await q.get();
    CHECK(w == 6);
  });
}

TEST_CASE("cancelling a waiting put leaves the queue as it was", "[queue][cancel]") {
  runtime::Queue<int> q(1);
  std::atomic<int> parked{0};
  auto putter = [&](int v) -> Task<void> {
    ++parked;
    co_await q.put(v);
  };
  run([&]() -> Task<void> {
    co_await q.put(0);
    auto p1 = runtime::create_task(putter(1));
    auto p2 = runtime::create_task(putter(2));
    co_await until([&] { return parked == 2; });
    co_await runtime::yield();
    p1.cancel();
    bool c1 = co_await ends_cancelled(p1.wait());
    CHECK(c1);
    CHECK(q.size() == 1);
    CHECK(q.full());
    int a = co_await q.get();
    int b = co_await q.get();
    CHECK(a == 0);
    CHECK(b == 2);  // the cancelled item 1 never entered the queue
    co_await p2.wait();
    CHECK(q.empty());
  });
}

TEST_CASE("producers and consumers on several threads: every item once, per-producer order kept",
          "[queue][threads]") {
  constexpr int producers = 4;
  constexpr int per_producer = 250;
  constexpr int consumers = 4;
  runtime::Queue<int> q(8);
  std::mutex m;
  std::vector<std::vector<int>> seen(producers);  // guarded by m
  std::atomic<int> consumed{0};
  auto producer = [&](int p) -> Task<void> {
    for (int i = 0; i < per_producer; ++i) co_await q.put(p * per_producer + i);
  };
  auto consumer = [&]() -> Task<void> {
    for (;;) {
      int v = co_await q.get();
      if (v < 0) co_return;  // poison pill
      {
        std::lock_guard lk(m);
        seen[v / per_producer].push_back(v % per_producer);
      }
      ++consumed;
    }
  };
  run(
      [&]() -> Task<void> {
        std::vector<runtime::TaskHandle<void>> cs;
        for (int i = 0; i < consumers; ++i) cs.push_back(runtime::create_task(consumer()));
        std::vector<Task<void>> ps;
        for (int p = 0; p < producers; ++p) ps.push_back(producer(p));
        co_await runtime::gather(std::move(ps));
        for (int i = 0; i < consumers; ++i) co_await q.put(-1);
        for (auto& c : cs) co_await c.wait();
      },
      4);
  CHECK(consumed == producers * per_producer);
  // One consumer may take items of a producer out of order relative to another
  // consumer, so check completeness per producer and, for order, that the queue
  // released them in order: sorted equals 0..n-1 without duplicates.
  for (auto& s : seen) {
    std::sort(s.begin(), s.end());
    std::vector<int> expect(per_producer);
    for (int i = 0; i < per_producer; ++i) expect[i] = i;
    CHECK(s == expect);
  }
  CHECK(q.empty());
}

TEST_CASE("a single consumer sees each producer's items in order", "[queue][fifo]") {
  runtime::Queue<int> q(3);
  std::vector<int> got;
  auto producer = [&](int base) -> Task<void> {
    for (int i = 0; i < 20; ++i) co_await q.put(base + i);
  };
  run([&]() -> Task<void> {
    auto a = runtime::create_task(producer(0));
    auto b = runtime::create_task(producer(100));
    for (int i = 0; i < 40; ++i) got.push_back(co_await q.get());
    co_await a.wait();
    co_await b.wait();
  });
  std::vector<int> from_a, from_b;
  for (int v : got) (v < 100 ? from_a : from_b).push_back(v);
  CHECK(from_a.size() == 20);
  CHECK(from_b.size() == 20);
  CHECK(std::is_sorted(from_a.begin(), from_a.end()));
  CHECK(std::is_sorted(from_b.begin(), from_b.end()));
}

// --- task_done / join -----------------------------------------------------------

TEST_CASE("join returns at once on a queue with nothing unfinished", "[queue][join]") {
  runtime::Queue<int> q;
  run([&]() -> Task<void> {
    co_await q.join();
    co_await q.put(1);
    int v = co_await q.get();
    CHECK(v == 1);
    q.task_done();
    co_await q.join();  // nothing unfinished again
  });
}

TEST_CASE("join waits until task_done was called for every item put", "[queue][join]") {
  runtime::Queue<int> q;
  bool joined = false;
  auto joiner = [&]() -> Task<void> {
    co_await q.join();
    joined = true;
  };
  run([&]() -> Task<void> {
    co_await q.put(1);
    co_await q.put(2);
    auto j = runtime::create_task(joiner());
    co_await runtime::yield();
    co_await runtime::yield();
    CHECK_FALSE(joined);
    co_await q.get();
    co_await q.get();
    q.task_done();
    co_await runtime::yield();
    co_await runtime::yield();
    CHECK_FALSE(joined);  // one item still unfinished although the queue is empty
    q.task_done();
    co_await j.wait();
    CHECK(joined);
  });
}

TEST_CASE("items handed straight to a waiting getter, or moved in from a waiting putter, count as unfinished",
          "[queue][join]") {
  runtime::Queue<int> q(1);
  auto getter = [&]() -> Task<int> { co_return co_await q.get(); };
  auto putter = [&](int v) -> Task<void> { co_await q.put(v); };
  bool joined = false;
  auto joiner = [&]() -> Task<void> {
    co_await q.join();
    joined = true;
  };
  run([&]() -> Task<void> {
    auto g = runtime::create_task(getter());
    co_await until([&] { return !g.done(); });
    co_await runtime::yield();
    co_await q.put(1);  // handed to the waiting getter, never stored
    CHECK(q.empty());
    co_await g.wait();
    co_await q.put(2);
    auto p = runtime::create_task(putter(3));  // waits: the queue is full
    co_await runtime::yield();
    co_await runtime::yield();
    CHECK(q.full());
    int a = co_await q.get();  // frees the slot: 3 moves in
    CHECK(a == 2);
    co_await p.wait();
    auto j = runtime::create_task(joiner());
    int b = co_await q.get();
    CHECK(b == 3);
    q.task_done();
    q.task_done();
    co_await runtime::yield();
    co_await runtime::yield();
    CHECK_FALSE(joined);  // 1, 2 and 3 were all accepted: one is left
    q.task_done();
    co_await j.wait();
    CHECK(joined);
    CHECK_THROWS_AS(q.task_done(), std::logic_error);
  });
}

TEST_CASE("task_done called more often than items were put throws logic_error", "[queue][join][errors]") {
  runtime::Queue<int> q;
  CHECK_THROWS_AS(q.task_done(), std::logic_error);
  CHECK_THROWS_WITH(q.task_done(), "task_done() called too many times");
  REQUIRE(q.try_put(1));
  CHECK(q.try_get() == 1);
  q.task_done();
  CHECK_THROWS_AS(q.task_done(), std::logic_error);
}

TEST_CASE("cancelling a task waiting in join leaves the queue's count as it was", "[queue][join][cancel]") {
  runtime::Queue<int> q;
  std::atomic<int> joined{0};
  auto joiner = [&]() -> Task<void> {
    co_await q.join();
    ++joined;
  };
  run([&]() -> Task<void> {
    co_await q.put(1);
    auto j1 = runtime::create_task(joiner());
    auto j2 = runtime::create_task(joiner());
    co_await runtime::yield();
    co_await runtime::yield();
    j1.cancel();
    bool c = co_await ends_cancelled(j1.wait());
    CHECK(c);
    CHECK(joined == 0);
    co_await q.get();
    q.task_done();
    co_await j2.wait();
    CHECK(joined == 1);
  });
}

TEST_CASE("producers and consumers with task_done and join on several threads", "[queue][join][threads]") {
  // join() returns only once every item put has been processed, however the
  // consumers on other threads interleave.
  constexpr int producers = 3;
  constexpr int per_producer = 200;
  runtime::Queue<int> q(4);
  std::atomic<int> processed{0};
  std::atomic<int> processed_at_join{-1};
  std::atomic<bool> group_failed{true};
  auto producer = [&](int p) -> Task<void> {
    for (int i = 0; i < per_producer; ++i) co_await q.put(p * per_producer + i);
  };
  auto consumer = [&]() -> Task<void> {
    for (;;) {
      co_await q.get();
      if (processed % 3 == 0) co_await runtime::yield();
      ++processed;
      q.task_done();
    }
  };
  run(
      [&]() -> Task<void> {
        runtime::TaskGroup consumers;
        for (int i = 0; i < 3; ++i) consumers.create_task(consumer());
        std::vector<Task<void>> ps;
        for (int p = 0; p < producers; ++p) ps.push_back(producer(p));
        co_await runtime::gather(std::move(ps));
        co_await q.join();
        processed_at_join = processed.load();
        consumers.cancel();
        group_failed = co_await ends_cancelled(consumers.join());  // cancelled children are no failure
      },
      4);
  CHECK(processed_at_join == producers * per_producer);
  CHECK_FALSE(group_failed);
  CHECK(q.empty());
}

// --- shutdown -----------------------------------------------------------------

TEST_CASE("after shutdown put and try_put throw QueueShutDown, get drains the items left, then throws",
          "[queue][shutdown]") {
  runtime::Queue<int> q(5);
  REQUIRE(q.try_put(1));
  REQUIRE(q.try_put(2));
  q.shutdown();
  CHECK_THROWS_AS(q.try_put(3), runtime::QueueShutDown);
  CHECK(q.size() == 2);
  run([&]() -> Task<void> {
    bool put_threw = false;
    try {
      co_await q.put(3);
    } catch (const runtime::QueueShutDown&) {
      put_threw = true;
    }
    CHECK(put_threw);
    int a = co_await q.get();
    CHECK(a == 1);
    CHECK(q.try_get() == 2);
    bool get_threw = false;
    try {
      co_await q.get();
    } catch (const runtime::QueueShutDown& e) {
      get_threw = true;
      CHECK(std::string(e.what()) == "queue shut down");
    }
    CHECK(get_threw);
    CHECK_THROWS_AS(q.try_get(), runtime::QueueShutDown);
  });
  CHECK(q.empty());
}

TEST_CASE("shutdown wakes the waiting getters and putters, each throws QueueShutDown", "[queue][shutdown]") {
  runtime::Queue<int> empty_q(1);
  runtime::Queue<int> full_q(1);
  REQUIRE(full_q.try_put(0));
  std::vector<std::string> ended;
  auto getter = [&](std::string name) -> Task<void> {
    try {
      co_await empty_q.get();
      ended.push_back(name + " got");
    } catch (const runtime::QueueShutDown&) {
      ended.push_back(name + " shut down");
    }
  };
  auto putter = [&](std::string name) -> Task<void> {
    try {
      co_await full_q.put(1);
      ended.push_back(name + " put");
    } catch (const runtime::QueueShutDown&) {
      ended.push_back(name + " shut down");
    }
  };
  run([&]() -> Task<void> {
    auto g1 = runtime::create_task(getter("g1"));
    auto g2 = runtime::create_task(getter("g2"));
    auto p1 = runtime::create_task(putter("p1"));
    co_await runtime::yield();
    co_await runtime::yield();
    CHECK(ended.empty());
    empty_q.shutdown();
    full_q.shutdown();
    co_await g1.wait();
    co_await g2.wait();
    co_await p1.wait();
    // The item put before the shutdown is still there to drain.
    int left = co_await full_q.get();
    CHECK(left == 0);
  });
  CHECK(ended == std::vector<std::string>{"g1 shut down", "g2 shut down", "p1 shut down"});
}

TEST_CASE("shutdown(immediate) drops the items left, counts them done and releases join", "[queue][shutdown][join]") {
  runtime::Queue<std::unique_ptr<int>> q;
  bool joined = false;
  auto joiner = [&]() -> Task<void> {
    co_await q.join();
    joined = true;
  };
  run([&]() -> Task<void> {
    co_await q.put(std::make_unique<int>(1));
    co_await q.put(std::make_unique<int>(2));
    co_await q.put(std::make_unique<int>(3));
    auto taken = co_await q.get();  // taken, not yet done: it stays unfinished
    auto j = runtime::create_task(joiner());
    co_await runtime::yield();
    co_await runtime::yield();
    q.shutdown(true);
    CHECK(q.empty());
    co_await runtime::yield();
    co_await runtime::yield();
    CHECK_FALSE(joined);  // the one taken is still being processed
    q.task_done();
    co_await j.wait();
    CHECK(joined);
    CHECK_THROWS_AS(q.try_get(), runtime::QueueShutDown);
    CHECK_THROWS_AS(q.task_done(), std::logic_error);
  });
}

TEST_CASE("shutdown(immediate) with nothing taken releases join at once and wakes getters", "[queue][shutdown]") {
  runtime::Queue<int> q;
  runtime::Queue<int> other;
  bool joined = false;
  bool getter_shut = false;
  auto joiner = [&]() -> Task<void> {
    co_await q.join();
    joined = true;
  };
  auto getter = [&]() -> Task<void> {
    try {
      co_await other.get();
    } catch (const runtime::QueueShutDown&) {
      getter_shut = true;
    }
  };
  run([&]() -> Task<void> {
    co_await q.put(1);
    co_await q.put(2);
    auto j = runtime::create_task(joiner());
    auto g = runtime::create_task(getter());
    co_await runtime::yield();
    co_await runtime::yield();
    q.shutdown(true);
    other.shutdown(true);
    co_await j.wait();
    co_await g.wait();
    CHECK(joined);
    CHECK(getter_shut);
  });
}

TEST_CASE("getters cancelled on other threads while shutdown wakes them each end once",
          "[queue][shutdown][cancel][threads]") {
  // Half of them cancelled as shutdown() wakes them all: each ends exactly
  // once, with one of the two errors, and the queue's lists stay sound (ASan
  // and TSan watch).
  runtime::Queue<int> q;
  auto [shut, cancelled] = cancel_while_ending<runtime::QueueShutDown>(
      40, [&] { return q.get(); }, [] { return true; }, [&] { q.shutdown(); });
  CHECK(shut + cancelled == 40);
  CHECK(shut >= 20);  // the ones not cancelled, at least
}
