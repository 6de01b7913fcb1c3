// runtime::PriorityQueue: asyncio.PriorityQueue.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("a priority queue gives the smallest item first", "[priority_queue]") {
  runtime::PriorityQueue<int> q;
  for (int v : {5, 1, 4, 2, 3, 1}) REQUIRE(q.try_put(v));
  std::vector<int> got;
  run([&]() -> Task<void> {
    while (!q.empty()) got.push_back(co_await q.get());
  });
  CHECK(got == std::vector<int>{1, 1, 2, 3, 4, 5});
}

TEST_CASE("(priority, sequence, item) entries come out by priority, first in first out among equals",
          "[priority_queue]") {
  using Entry = std::tuple<int, int, std::string>;
  runtime::PriorityQueue<Entry> q;
  run([&]() -> Task<void> {
    int seq = 0;
    co_await q.put({2, seq++, "write report"});
    co_await q.put({1, seq++, "fix outage"});
    co_await q.put({2, seq++, "answer mail"});
    co_await q.put({1, seq++, "call back"});
    std::vector<std::string> jobs;
    for (int i = 0; i < 4; ++i) jobs.push_back(std::get<2>(co_await q.get()));
    CHECK(jobs == std::vector<std::string>{"fix outage", "call back", "write report", "answer mail"});
  });
}

TEST_CASE("a priority queue takes a comparator: std::greater gives the largest first", "[priority_queue]") {
  runtime::PriorityQueue<int, std::greater<int>> q(0);
  for (int v : {2, 9, 4}) REQUIRE(q.try_put(v));
  CHECK(q.try_get() == 9);
  CHECK(q.try_get() == 4);
  CHECK(q.try_get() == 2);
  CHECK_FALSE(q.try_get().has_value());
}

TEST_CASE("a full priority queue: the freed slot goes to the longest-waiting producer, get still gives the smallest",
          "[priority_queue][fifo]") {
  runtime::PriorityQueue<int> q(2);
  std::vector<int> put_done;
  auto putter = [&](int v) -> Task<void> {
    co_await q.put(v);
    put_done.push_back(v);
  };
  run([&]() -> Task<void> {
    co_await q.put(50);
    co_await q.put(40);
    auto p1 = runtime::create_task(putter(10));  // waits first
    co_await runtime::yield();
    auto p2 = runtime::create_task(putter(5));
    co_await runtime::yield();
    co_await runtime::yield();
    CHECK(put_done.empty());
    int a = co_await q.get();  // 40 out, 10 in (p1 waited longest)
    CHECK(a == 40);
    CHECK(q.full());
    int b = co_await q.get();  // 10 out, 5 in
    CHECK(b == 10);
    int c = co_await q.get();
    int d = co_await q.get();
    CHECK(c == 5);
    CHECK(d == 50);
    co_await p1.wait();
    co_await p2.wait();
  });
  CHECK(put_done == std::vector<int>{10, 5});
}

TEST_CASE("getters waiting on an empty priority queue are served in the order they waited", "[priority_queue][fifo]") {
  runtime::PriorityQueue<int> q;
  std::vector<std::pair<int, int>> got;
  auto getter = [&](int id) -> Task<void> { got.emplace_back(id, co_await q.get()); };
  run([&]() -> Task<void> {
    std::vector<runtime::TaskHandle<void>> hs;
    for (int i = 0; i < 3; ++i) {
      hs.push_back(runtime::create_task(getter(i)));
      co_await runtime::yield();
    }
    co_await runtime::yield();
    co_await q.put(30);
    co_await q.put(10);
    co_await q.put(20);
    for (auto& h : hs) co_await h.wait();
  });
  CHECK(got == std::vector<std::pair<int, int>>{{0, 30}, {1, 10}, {2, 20}});
}

TEST_CASE("cancelling a waiting put on a priority queue keeps its item out", "[priority_queue][cancel]") {
  runtime::PriorityQueue<int> small(1);
  auto putter = [&](int v) -> Task<void> { co_await small.put(v); };
  run([&]() -> Task<void> {
    co_await small.put(7);
    auto p = runtime::create_task(putter(1));
    co_await runtime::yield();
    co_await runtime::yield();
    p.cancel();
    bool c = co_await ends_cancelled(p.wait());
    CHECK(c);
    CHECK(small.size() == 1);
    int v = co_await small.get();
    CHECK(v == 7);  // the smaller 1 never entered
    CHECK(small.empty());
  });
}

TEST_CASE("a priority queue has task_done, join and shutdown(immediate)", "[priority_queue][join][shutdown]") {
  runtime::PriorityQueue<int> q;
  bool joined = false;
  auto joiner = [&]() -> Task<void> {
    co_await q.join();
    joined = true;
  };
  run([&]() -> Task<void> {
    for (int v : {3, 1, 2}) co_await q.put(v);
    int first = co_await q.get();
    CHECK(first == 1);
    q.task_done();
    auto j = runtime::create_task(joiner());
    co_await runtime::yield();
    co_await runtime::yield();
    CHECK_FALSE(joined);
    q.shutdown(true);  // 2 and 3 dropped, counted done
    co_await j.wait();
    CHECK(joined);
    CHECK(q.empty());
    CHECK_THROWS_AS(q.try_put(0), runtime::QueueShutDown);
  });
}

TEST_CASE("a priority queue shared by tasks on several threads passes every item once",
          "[priority_queue][threads]") {
  runtime::PriorityQueue<int> q(8);
  auto seen = pass_items_on_threads(q, 4, 200);
  CHECK(seen == std::vector<int>(4 * 200, 1));
  CHECK(q.empty());
}
