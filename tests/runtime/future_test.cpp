// runtime::Future: asyncio.Future.
#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("a future set before the wait gives its value at once", "[future]") {
  runtime::Future<int> f;
  CHECK_FALSE(f.done());
  f.set_value(3);
  CHECK(f.done());
  int v = runtime::run(f.wait());
  CHECK(v == 3);
}

TEST_CASE("every waiter gets the value, in any number", "[future]") {
  runtime::Future<std::string> f;
  auto waiter = [&]() -> Task<std::string> { co_return co_await f.wait(); };
  run([&]() -> Task<void> {
    auto a = runtime::create_task(waiter());
    auto b = runtime::create_task(waiter());
    co_await runtime::yield();
    co_await runtime::yield();
    CHECK_FALSE(a.done());
    f.set_value("v");
    auto va = co_await a.wait();
    auto vb = co_await b.wait();
    auto again = co_await f.wait();
    CHECK(va == "v");
    CHECK(vb == "v");
    CHECK(again == "v");
  });
}

TEST_CASE("a future's exception is rethrown to each waiter", "[future][errors]") {
  runtime::Future<int> f;
  f.set_exception(std::make_exception_ptr(std::runtime_error("nope")));
  CHECK(f.done());
  CHECK_THROWS_WITH(runtime::run(f.wait()), "nope");
  CHECK_THROWS_AS(runtime::run(f.wait()), std::runtime_error);
}

TEST_CASE("setting a result twice throws logic_error", "[future]") {
  runtime::Future<int> f;
  f.set_value(1);
  CHECK_THROWS_AS(f.set_value(2), std::logic_error);
  CHECK_THROWS_AS(f.set_exception(std::make_exception_ptr(std::runtime_error("x"))), std::logic_error);
  CHECK(runtime::run(f.wait()) == 1);
  runtime::Future<void> g;
  g.set_value();
  CHECK_THROWS_AS(g.set_value(), std::logic_error);
}

TEST_CASE("Future<void> wakes its waiter", "[future]") {
  runtime::Future<void> f;
  auto waiter = [&]() -> Task<void> { co_await f.wait(); };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(waiter());
    co_await runtime::yield();
    CHECK_FALSE(t.done());
    f.set_value();
    co_await t.wait();
  });
}

TEST_CASE("copies of a future share its state", "[future]") {
  runtime::Future<int> f;
  runtime::Future<int> copy = f;
  copy.set_value(8);
  CHECK(f.done());
  CHECK(runtime::run(f.wait()) == 8);
}

TEST_CASE("a future set from a foreign std::thread wakes the loop", "[future][threads]") {
  runtime::Future<int> f;
  std::thread setter;
  int v = run([&]() -> Task<int> {
    setter = std::thread([f] {
      std::this_thread::sleep_for(20ms);
      f.set_value(42);
    });
    co_return co_await f.wait();  // nothing else is on the loop meanwhile
  });
  setter.join();
  CHECK(v == 42);
}

TEST_CASE("many waiters on several loop threads, set from a foreign thread", "[future][threads]") {
  runtime::Future<int> f;
  std::atomic<int> sum{0};
  std::atomic<int> parked{0};
  auto waiter = [&]() -> Task<void> {
    ++parked;
    sum += co_await f.wait();
  };
  std::thread setter;
  run(
      [&]() -> Task<void> {
        std::vector<runtime::TaskHandle<void>> hs;
        for (int i = 0; i < 16; ++i) hs.push_back(runtime::create_task(waiter()));
        co_await until([&] { return parked == 16; });
        setter = std::thread([f] { f.set_value(2); });
        for (auto& h : hs) co_await h.wait();
      },
      4);
  setter.join();
  CHECK(sum == 32);
}

TEST_CASE("cancelling a waiter stops only that wait", "[future][cancel]") {
  runtime::Future<int> f;
  bool a_parked = false;
  auto waiter = [&](bool* parked) -> Task<int> {
    if (parked) *parked = true;
    co_return co_await f.wait();
  };
  run([&]() -> Task<void> {
    auto a = runtime::create_task(waiter(&a_parked));
    auto b = runtime::create_task(waiter(nullptr));
    co_await until([&] { return a_parked; });
    co_await runtime::yield();
    a.cancel();
    bool ca = co_await ends_cancelled(a.wait());
    CHECK(ca);
    CHECK_FALSE(f.done());
    CHECK_FALSE(b.done());
    f.set_value(5);
    int vb = co_await b.wait();
    CHECK(vb == 5);
  });
}

TEST_CASE("a wait outlives the future it came from when its last copy goes meanwhile", "[future]") {
  // The wait holds the state itself: here the Future it was made from, the
  // last one, is dropped while the wait is parked.
  std::vector<runtime::Future<std::string>> shared(1);
  std::string got;
  auto wait_on_it = [&]() -> Task<void> { got = co_await shared[0].wait(); };
  run([&]() -> Task<void> {
    auto waiter = runtime::create_task(wait_on_it());
    co_await runtime::yield();  // the waiter has parked
    {
      auto f = std::move(shared[0]);
      shared.clear();
      f.set_value("kept");  // the waiter resumes at a later turn, after f is gone
    }
    co_await waiter.wait();
  });
  CHECK(got == "kept");
}
