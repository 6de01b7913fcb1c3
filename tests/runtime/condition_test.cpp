// runtime::Condition: asyncio.Condition.
#include <atomic>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("wait releases the lock while it waits and holds it again when notified", "[condition]") {
  runtime::Condition cond;
  bool waiting = false;
  bool held_after = false;
  auto waiter = [&]() -> Task<void> {
    auto g = co_await cond.acquire();
    waiting = true;
    co_await cond.wait(g);
    held_after = g.owns_lock() && cond.locked();
  };
  run([&]() -> Task<void> {
    auto w = runtime::create_task(waiter());
    co_await until([&] { return cond.waiters() == 1; });
    CHECK(waiting);
    CHECK_FALSE(cond.locked());  // released by the wait
    {
      auto g = co_await cond.acquire();
      cond.notify();
      CHECK(cond.waiters() == 0);
      co_await runtime::yield();
      co_await runtime::yield();
      CHECK_FALSE(w.done());  // notified, but the lock is still ours
    }
    co_await w.wait();
  });
  CHECK(held_after);
  CHECK_FALSE(cond.locked());
}

TEST_CASE("notify(n) wakes the n longest waiters, notify_all the rest, in the order they waited",
          "[condition][fifo]") {
  runtime::Condition cond;
  std::vector<int> woken;
  auto waiter = [&](int id) -> Task<void> {
    auto g = co_await cond.acquire();
    co_await cond.wait(g);
    woken.push_back(id);
  };
  run([&]() -> Task<void> {
    std::vector<runtime::TaskHandle<void>> hs;
    for (int i = 0; i < 6; ++i) {
      hs.push_back(runtime::create_task(waiter(i)));
      co_await until([&] { return cond.waiters() == static_cast<std::size_t>(i + 1); });
    }
    {
      auto g = co_await cond.acquire();
      cond.notify(2);
      CHECK(cond.waiters() == 4);
    }
    co_await hs[0].wait();
    co_await hs[1].wait();
    CHECK(woken == std::vector<int>{0, 1});
    CHECK(cond.waiters() == 4);
    {
      auto g = co_await cond.acquire();
      cond.notify();  // the default: one
      cond.notify_all();
      CHECK(cond.waiters() == 0);
      cond.notify_all();  // nobody left: nothing happens
    }
    for (auto& h : hs) co_await h.wait();
  });
  CHECK(woken == std::vector<int>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("a notified task queues for the lock in the notify call, ahead of later takers", "[condition][fifo]") {
  runtime::Condition cond;
  std::vector<std::string> order;
  auto waiter = [&]() -> Task<void> {
    auto g = co_await cond.acquire();
    co_await cond.wait(g);
    order.push_back("notified waiter");
  };
  auto taker = [&]() -> Task<void> {
    auto g = co_await cond.acquire();
    order.push_back("later taker");
  };
  run([&]() -> Task<void> {
    auto w = runtime::create_task(waiter());
    co_await until([&] { return cond.waiters() == 1; });
    {
      auto g = co_await cond.acquire();
      cond.notify();
      CHECK(cond.lock().waiters() == 1);  // queued for the lock at once
      auto t = runtime::create_task(taker());
      co_await until([&] { return cond.lock().waiters() == 2; });
      g.unlock();
      co_await w.wait();
      co_await t.wait();
    }
  });
  CHECK(order == std::vector<std::string>{"notified waiter", "later taker"});
}

TEST_CASE("a notify with nobody waiting is not remembered", "[condition]") {
  runtime::Condition cond;
  bool woke = false;
  auto waiter = [&]() -> Task<void> {
    auto g = co_await cond.acquire();
    co_await cond.wait(g);
    woke = true;
  };
  run([&]() -> Task<void> {
    {
      auto g = co_await cond.acquire();
      cond.notify();
    }
    auto w = runtime::create_task(waiter());
    co_await until([&] { return cond.waiters() == 1; });
    co_await runtime::yield();
    CHECK_FALSE(woke);
    auto g = co_await cond.acquire();
    cond.notify();
    g.unlock();
    co_await w.wait();
    CHECK(woke);
  });
}

TEST_CASE("wait_for returns the predicate's value once it holds, checking it after every wake-up",
          "[condition]") {
  runtime::Condition cond;
  std::deque<int> jobs;
  int checks = 0;
  auto consumer = [&]() -> Task<int> {
    auto g = co_await cond.acquire();
    auto got = co_await cond.wait_for(g, [&]() -> std::size_t {
      ++checks;
      return jobs.size() >= 2 ? jobs.size() : 0;
    });
    CHECK(g.owns_lock());
    co_return static_cast<int>(got);
  };
  run([&]() -> Task<void> {
    auto c = runtime::create_task(consumer());
    co_await until([&] { return cond.waiters() == 1; });
    CHECK(checks == 1);
    for (int job = 1; job <= 3; ++job) {
      auto g = co_await cond.acquire();
      jobs.push_back(job);
      cond.notify();
      g.unlock();
      co_await until([&] { return cond.waiters() == 1 || c.done(); });
    }
    int seen = co_await c.wait();
    CHECK(seen == 2);  // true (non-zero) after the second job
    CHECK(checks == 3);
  });
  // A predicate that holds already: no wait at all.
  run([&]() -> Task<void> {
    auto g = co_await cond.acquire();
    bool ok = co_await cond.wait_for(g, [] { return true; });
    CHECK(ok);
    CHECK(cond.waiters() == 0);
  });
}

TEST_CASE("wait, notify and notify_all without the lock throw logic_error", "[condition][errors]") {
  runtime::Condition cond;
  runtime::Lock other;
  CHECK_THROWS_AS(cond.notify(), std::logic_error);
  CHECK_THROWS_WITH(cond.notify_all(), "cannot notify on un-acquired lock");
  run([&]() -> Task<void> {
    runtime::Lock::Guard none;
    std::string what;
    try {
      co_await cond.wait(none);
    } catch (const std::logic_error& e) {
      what = e.what();
    }
    CHECK(what == "cannot wait on un-acquired lock");
    auto foreign = co_await other.acquire();
    bool threw = false;
    try {
      co_await cond.wait(foreign);  // a guard of another lock
    } catch (const std::logic_error&) {
      threw = true;
    }
    CHECK(threw);
    CHECK(foreign.owns_lock());
    CHECK_FALSE(cond.locked());
    CHECK(cond.waiters() == 0);
  });
}

TEST_CASE("a condition shares a given lock, two conditions on one lock", "[condition]") {
  runtime::Lock lock;
  runtime::Condition not_empty(lock);
  runtime::Condition not_full(lock);
  std::deque<int> buffer;  // guarded by `lock`
  constexpr std::size_t capacity = 2;
  std::vector<int> consumed;
  auto producer = [&]() -> Task<void> {
    for (int i = 0; i < 10; ++i) {
      auto g = co_await lock.acquire();
      co_await not_full.wait_for(g, [&] { return buffer.size() < capacity; });
      buffer.push_back(i);
      not_empty.notify();
    }
  };
  auto consumer = [&]() -> Task<void> {
    for (int i = 0; i < 10; ++i) {
      auto g = co_await not_empty.acquire();  // the same lock
      co_await not_empty.wait_for(g, [&] { return !buffer.empty(); });
      consumed.push_back(buffer.front());
      buffer.pop_front();
      not_full.notify();
    }
  };
  run([&]() -> Task<void> {
    CHECK(&not_empty.lock() == &lock);
    co_await runtime::gather(consumer(), producer());
  });
  CHECK(consumed == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("a cancelled wait throws only once it holds the lock again, and takes no notification",
          "[condition][cancel]") {
  runtime::Condition cond;
  bool cancelled_with_lock = false;
  bool other_woke = false;
  auto cancelled = [&]() -> Task<void> {
    auto g = co_await cond.acquire();
    try {
      co_await cond.wait(g);
    } catch (const std::exception& e) {
      cancelled_with_lock = runtime::is_cancellation(e) && g.owns_lock() && cond.locked();
      throw;
    }
  };
  auto other = [&]() -> Task<void> {
    auto g = co_await cond.acquire();
    co_await cond.wait(g);
    other_woke = true;
  };
  run([&]() -> Task<void> {
    auto a = runtime::create_task(cancelled());
    co_await until([&] { return cond.waiters() == 1; });
    auto b = runtime::create_task(other());
    co_await until([&] { return cond.waiters() == 2; });
    {
      auto g = co_await cond.acquire();
      a.cancel();
      co_await until([&] { return cond.waiters() == 1; });  // a left the waiters
      co_await runtime::yield();
      co_await runtime::yield();
      CHECK_FALSE(a.done());  // it needs the lock back first
      CHECK(cond.lock().waiters() == 1);
    }
    bool c = co_await ends_cancelled(a.wait());
    CHECK(c);
    CHECK(cancelled_with_lock);
    CHECK_FALSE(other_woke);
    {
      auto g = co_await cond.acquire();
      cond.notify();  // b, the only waiter left
    }
    co_await b.wait();
    CHECK(other_woke);
  });
  CHECK_FALSE(cond.locked());
  CHECK(cond.waiters() == 0);
}

TEST_CASE("a task notified and then cancelled before it has the lock back passes the notification on",
          "[condition][cancel]") {
  runtime::Condition cond;
  std::vector<std::string> ended;
  auto waiter = [&](std::string name) -> Task<void> {
    auto g = co_await cond.acquire();
    try {
      co_await cond.wait(g);
      ended.push_back(name + " notified");
    } catch (const std::exception& e) {
      ended.push_back(name + (runtime::is_cancellation(e) && g.owns_lock() ? " cancelled, lock held" : " ?"));
      throw;
    }
  };
  run([&]() -> Task<void> {
    auto a = runtime::create_task(waiter("a"));
    co_await until([&] { return cond.waiters() == 1; });
    auto b = runtime::create_task(waiter("b"));
    co_await until([&] { return cond.waiters() == 2; });
    {
      auto g = co_await cond.acquire();
      cond.notify();  // a
      co_await until([&] { return cond.lock().waiters() == 1; });  // a waits for the lock
      a.cancel();
      co_await runtime::yield();
      co_await runtime::yield();
      CHECK(cond.lock().waiters() == 1);  // the cancellation did not take a out of the lock's queue
      CHECK(cond.waiters() == 1);         // b still waits to be notified
    }
    bool c = co_await ends_cancelled(a.wait());
    CHECK(c);
    co_await b.wait();  // woken by the notification a passed on
  });
  CHECK(ended == std::vector<std::string>{"a cancelled, lock held", "b notified"});
  CHECK_FALSE(cond.locked());
}

TEST_CASE("a wait cancelled while the lock is free takes it back at once", "[condition][cancel]") {
  runtime::Condition cond;
  auto waiter = [&]() -> Task<void> {
    auto g = co_await cond.acquire();
    co_await cond.wait(g);
  };
  run([&]() -> Task<void> {
    auto w = runtime::create_task(waiter());
    co_await until([&] { return cond.waiters() == 1; });
    w.cancel();
    bool c = co_await ends_cancelled(w.wait());
    CHECK(c);
    CHECK_FALSE(cond.locked());  // released by the cancelled task's guard
    CHECK(cond.waiters() == 0);
    CHECK(cond.lock().waiters() == 0);
  });
}

TEST_CASE("producers and consumers on a condition on several threads: no lost wake-up, one holder",
          "[condition][threads]") {
  runtime::Condition cond;
  std::deque<int> items;  // guarded by the condition's lock
  Occupancy inside;
  std::atomic<long> sum{0};
  constexpr int producers = 3;
  constexpr int consumers = 3;
  constexpr int per_producer = 200;
  auto producer = [&](int p) -> Task<void> {
    for (int i = 0; i < per_producer; ++i) {
      auto g = co_await cond.acquire();
      inside.enter();
      items.push_back(p * per_producer + i);
      inside.leave();
      if (i % 3 == 0) {
        cond.notify_all();
      } else {
        cond.notify();
      }
    }
  };
  auto consumer = [&](int quota) -> Task<void> {
    for (int i = 0; i < quota; ++i) {
      auto g = co_await cond.acquire();
      co_await cond.wait_for(g, [&] { return !items.empty(); });
      inside.enter();
      sum += items.front();
      items.pop_front();
      inside.leave();
    }
  };
  run(
      [&]() -> Task<void> {
        std::vector<Task<void>> ts;
        for (int c = 0; c < consumers; ++c) ts.push_back(consumer(producers * per_producer / consumers));
        for (int p = 0; p < producers; ++p) ts.push_back(producer(p));
        co_await runtime::gather(std::move(ts));
      },
      4);
  const long n = producers * per_producer;
  CHECK(sum == n * (n - 1) / 2);
  CHECK(inside.most == 1);
  CHECK(items.empty());
  CHECK_FALSE(cond.locked());
  CHECK(cond.waiters() == 0);
}

TEST_CASE("waits cancelled on several threads while others notify leave the lock and the waiters sound",
          "[condition][cancel][threads]") {
  // Workers take turns round-robin (each waits for its own turn, which needs
  // notify_all); quitters wait too and are cancelled while queued, or while
  // taking the lock back. A lost notification or a lock left held would stop
  // the turns, and the run would hang.
  runtime::Condition cond;
  int turn = 0;  // guarded by the condition's lock
  Occupancy inside;
  constexpr int workers = 4;
  constexpr int rounds = 100;
  auto worker = [&](int id) -> Task<void> {
    for (int r = 0; r < rounds; ++r) {
      auto g = co_await cond.acquire();
      co_await cond.wait_for(g, [&] { return turn % workers == id; });
      inside.enter();
      ++turn;
      inside.leave();
      cond.notify_all();
    }
  };
  auto quitter = [&]() -> Task<void> {
    auto g = co_await cond.acquire();
    inside.enter();
    inside.leave();
    co_await cond.wait(g);
  };
  run_with_quitters(workers, worker, quitter);
  CHECK(turn == workers * rounds);
  CHECK(inside.most == 1);
  CHECK_FALSE(cond.locked());
  CHECK(cond.waiters() == 0);
  CHECK(cond.lock().waiters() == 0);
}
