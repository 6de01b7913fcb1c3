// runtime::LifoQueue: asyncio.LifoQueue.
#include <atomic>
#include <memory>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("a LIFO queue gives the item put last first", "[lifo_queue]") {
  runtime::LifoQueue<int> q(3);
  CHECK(q.try_put(1));
  CHECK(q.try_put(2));
  CHECK(q.try_put(3));
  CHECK(q.full());
  CHECK_FALSE(q.try_put(4));
  run([&]() -> Task<void> {
    int a = co_await q.get();
    co_await q.put(4);
    int b = co_await q.get();
    int c = co_await q.get();
    int d = co_await q.get();
    CHECK(std::vector<int>{a, b, c, d} == std::vector<int>{3, 4, 2, 1});
  });
  CHECK(q.empty());
}

TEST_CASE("a LIFO queue hands items to waiting getters in the order they waited", "[lifo_queue][fifo]") {
  runtime::LifoQueue<int> q;
  std::vector<std::pair<int, int>> got;  // (getter, item)
  auto getter = [&](int id) -> Task<void> { got.emplace_back(id, co_await q.get()); };
  run([&]() -> Task<void> {
    std::vector<runtime::TaskHandle<void>> hs;
    for (int i = 0; i < 3; ++i) {
      hs.push_back(runtime::create_task(getter(i)));
      co_await runtime::yield();
    }
    co_await runtime::yield();
    co_await q.put(10);
    co_await q.put(11);
    co_await q.put(12);
    for (auto& h : hs) co_await h.wait();
  });
  CHECK(got == std::vector<std::pair<int, int>>{{0, 10}, {1, 11}, {2, 12}});
}

TEST_CASE("a full LIFO queue takes waiting producers' items in the order they waited", "[lifo_queue][fifo]") {
  runtime::LifoQueue<int> q(1);
  auto putter = [&](int v) -> Task<void> { co_await q.put(v); };
  run([&]() -> Task<void> {
    co_await q.put(0);
    std::vector<runtime::TaskHandle<void>> hs;
    for (int i = 1; i <= 3; ++i) {
      hs.push_back(runtime::create_task(putter(i)));
      co_await runtime::yield();
    }
    co_await runtime::yield();
    std::vector<int> got;
    for (int i = 0; i < 4; ++i) got.push_back(co_await q.get());
    // Each get frees the one slot, which the longest-waiting producer fills.
    CHECK(got == std::vector<int>{0, 1, 2, 3});
    for (auto& h : hs) co_await h.wait();
  });
}

TEST_CASE("cancelling a waiting get or put on a LIFO queue loses nothing", "[lifo_queue][cancel]") {
  runtime::LifoQueue<std::unique_ptr<int>> q(1);
  auto getter = [&]() -> Task<int> { co_return *co_await q.get(); };
  auto putter = [&](int v) -> Task<void> { co_await q.put(std::make_unique<int>(v)); };
  run([&]() -> Task<void> {
    auto g = runtime::create_task(getter());
    co_await runtime::yield();
    co_await runtime::yield();
    g.cancel();
    bool cg = co_await ends_cancelled(g.wait());
    CHECK(cg);
    co_await q.put(std::make_unique<int>(1));
    auto p = runtime::create_task(putter(2));
    co_await runtime::yield();
    co_await runtime::yield();
    p.cancel();
    bool cp = co_await ends_cancelled(p.wait());
    CHECK(cp);
    CHECK(q.size() == 1);
    auto v = co_await q.get();
    CHECK(*v == 1);
    CHECK(q.empty());
  });
}

TEST_CASE("a LIFO queue has task_done, join and shutdown", "[lifo_queue][join][shutdown]") {
  runtime::LifoQueue<int> q;
  run([&]() -> Task<void> {
    co_await q.put(1);
    co_await q.put(2);
    q.shutdown();
    CHECK_THROWS_AS(q.try_put(3), runtime::QueueShutDown);
    int a = co_await q.get();
    int b = co_await q.get();
    CHECK(a == 2);
    CHECK(b == 1);
    q.task_done();
    q.task_done();
    co_await q.join();
    CHECK_THROWS_AS(q.try_get(), runtime::QueueShutDown);
  });
}

TEST_CASE("a LIFO queue shared by tasks on several threads passes every item once", "[lifo_queue][threads]") {
  runtime::LifoQueue<int> q(8);
  auto seen = pass_items_on_threads(q, 4, 200);
  CHECK(seen == std::vector<int>(4 * 200, 1));
  CHECK(q.empty());
}
