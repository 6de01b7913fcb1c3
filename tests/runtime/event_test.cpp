// runtime::Event: asyncio.Event.
#include <atomic>
#include <thread>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("wait on a set event returns at once, without giving up the turn", "[event]") {
  runtime::Event ev;
  bool other_ran = false;
  auto other = [&]() -> Task<void> {
    other_ran = true;
    co_return;
  };
  run([&]() -> Task<void> {
    ev.set();
    CHECK(ev.is_set());
    auto t = runtime::create_task(other());
    co_await ev.wait();
    CHECK_FALSE(other_ran);  // no suspension happened
    co_await ev.wait();
    CHECK(ev.waiters() == 0);
    co_await t.wait();
  });
}

TEST_CASE("set after wait wakes every waiter, in the order they waited", "[event]") {
  runtime::Event ev;
  std::vector<int> woken;
  auto waiter = [&](int id) -> Task<void> {
    co_await ev.wait();
    woken.push_back(id);
  };
  run([&]() -> Task<void> {
    std::vector<runtime::TaskHandle<void>> hs;
    for (int i = 0; i < 5; ++i) hs.push_back(runtime::create_task(waiter(i)));
    co_await until([&] { return ev.waiters() == 5; });
    CHECK(woken.empty());
    CHECK_FALSE(ev.is_set());
    ev.set();
    CHECK(ev.waiters() == 0);
    for (auto& h : hs) co_await h.wait();
  });
  CHECK(woken == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("clear makes later waits block again", "[event]") {
  runtime::Event ev;
  bool passed = false;
  auto waiter = [&]() -> Task<void> {
    co_await ev.wait();
    passed = true;
  };
  run([&]() -> Task<void> {
    ev.set();
    ev.clear();
    CHECK_FALSE(ev.is_set());
    auto t = runtime::create_task(waiter());
    co_await until([&] { return ev.waiters() == 1; });
    for (int i = 0; i < 10; ++i) co_await runtime::yield();
    CHECK_FALSE(passed);
    ev.set();
    co_await t.wait();
    CHECK(passed);
  });
}

TEST_CASE("cancelling a waiter removes it, set still wakes the others", "[event][cancel]") {
  runtime::Event ev;
  std::vector<int> woken;
  auto waiter = [&](int id) -> Task<void> {
    co_await ev.wait();
    woken.push_back(id);
  };
  run([&]() -> Task<void> {
    auto a = runtime::create_task(waiter(1));
    auto b = runtime::create_task(waiter(2));
    auto c = runtime::create_task(waiter(3));
    co_await until([&] { return ev.waiters() == 3; });
    b.cancel();
    bool cb = co_await ends_cancelled(b.wait());
    CHECK(cb);
    CHECK(ev.waiters() == 2);
    CHECK_FALSE(ev.is_set());
    ev.set();
    co_await a.wait();
    co_await c.wait();
  });
  CHECK(woken == std::vector<int>{1, 3});
}

TEST_CASE("an event set from a thread outside the loop wakes the waiter", "[event][threads]") {
  runtime::Event ev;
  std::thread setter;
  run([&]() -> Task<void> {
    setter = std::thread([&] {
      std::this_thread::sleep_for(20ms);
      ev.set();
    });
    co_await runtime::wait_for(ev.wait(), 10s);
    CHECK(ev.is_set());
  });
  setter.join();
}

TEST_CASE("set wakes waiters spread over several loop threads", "[event][threads]") {
  runtime::Event ev;
  std::atomic<int> woken{0};
  constexpr int n = 32;
  auto waiter = [&]() -> Task<void> {
    co_await ev.wait();
    ++woken;
  };
  run(
      [&]() -> Task<void> {
        std::vector<runtime::TaskHandle<void>> hs;
        for (int i = 0; i < n; ++i) hs.push_back(runtime::create_task(waiter()));
        co_await until([&] { return ev.waiters() == n; });
        ev.set();
        for (auto& h : hs) co_await h.wait();
      },
      4);
  CHECK(woken == n);
}

TEST_CASE("waiters cancelled on another thread while set() wakes them leave the queue sound",
          "[event][threads][cancel]") {
  // set() takes its waiters out and wakes them after it lets go of the mutex;
  // a cancellation on another loop thread in between must find them gone,
  // not unlink them from the event's queue a second time (it once did, and
  // waiters() then read 2^64 - 20).
  constexpr int n = 2000, cancelled = 20, rounds = 10;
  std::atomic<int> bad_rounds{0}, lost{0};
  for (int round = 0; round < rounds; ++round) {
    runtime::Event ev;
    std::atomic<int> ended{0};
    auto waiter = [&]() -> Task<void> {
      try {
        co_await ev.wait();
      } catch (const std::exception& e) {
        if (!runtime::is_cancellation(e)) throw;
      }
      ++ended;
    };
    run(
        [&]() -> Task<void> {
          std::vector<runtime::TaskHandle<void>> hs;
          for (int i = 0; i < n; ++i) hs.push_back(runtime::create_task(waiter()));
          co_await until([&] { return ev.waiters() == n; });
          for (int i = n - cancelled; i < n; ++i) hs[i].cancel();  // emitted on the waiters' strands ...
          ev.set();                                                // ... while this wakes them
          for (auto& h : hs) co_await h.wait();
          if (ev.waiters() != 0) ++bad_rounds;
        },
        2);
    if (ended != n) ++lost;
  }
  CHECK(bad_rounds == 0);
  CHECK(lost == 0);
}
