// runtime::Wait<Op> (detail/direct_wait.hpp): what Lock::acquire,
// Semaphore::acquire, Event::wait, Future::wait and TaskHandle::wait return.
// Awaited at once it costs no coroutine frame; handed where a Task is expected
// it behaves like the Task it replaced.
#include <string>
#include <tuple>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("a wait whose resource is free goes on without a loop turn", "[wait]") {
  runtime::Lock lock;
  runtime::Semaphore sem(1);
  runtime::Event ev;
  ev.set();
  bool other_ran = false;
  auto other = [&]() -> Task<void> {
    other_ran = true;
    co_return;
  };
  run([&]() -> Task<void> {
    runtime::create_task(other());
    auto g = co_await lock.acquire();
    auto p = co_await sem.acquire();
    co_await ev.wait();
    // The task created first has not had its turn: none of the three waits
    // gave the loop one.
    CHECK_FALSE(other_ran);
    CHECK(g.owns_lock());
    CHECK(static_cast<bool>(p));
    co_await until([&] { return other_ran; });
  });
}

TEST_CASE("a wait made now is awaited later, when the resource may have changed", "[wait]") {
  runtime::Lock lock;
  // The wait is a parameter, so it lives in the coroutine's frame.
  auto claim = [](runtime::Wait<runtime::Lock::Acquire> w) -> Task<bool> {
    auto g = co_await std::move(w);  // claims the lock only now
    co_return g.owns_lock();
  };
  run([&]() -> Task<void> {
    auto first = lock.acquire();  // made while the lock is free
    auto held = co_await lock.acquire();
    auto waiter = runtime::create_task(claim(std::move(first)));
    co_await until([&] { return lock.waiters() == 1; });
    held.unlock();
    CHECK(co_await waiter.wait());
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("create_task and TaskGroup take a primitive's wait", "[wait]") {
  runtime::Lock lock;
  runtime::Future<std::string> f;
  run([&]() -> Task<void> {
    auto held = co_await lock.acquire();
    auto acquirer = runtime::create_task(lock.acquire());
    runtime::TaskGroup tg;
    auto reader = tg.create_task(f.wait());
    co_await until([&] { return lock.waiters() == 1; });
    CHECK_FALSE(acquirer.done());
    held.unlock();
    f.set_value("x");
    auto g = co_await acquirer.wait();  // the guard moves out of the task's result
    CHECK(g.owns_lock());
    co_await tg.join();
    CHECK(reader.result() == "x");
  });
  CHECK_FALSE(lock.locked());
}

TEST_CASE("gather mixes tasks and primitives' waits, results in order", "[wait]") {
  runtime::Event ev;
  runtime::Semaphore sem(1);
  auto setter = [&]() -> Task<int> {
    ev.set();
    co_return 7;
  };
  auto [none, seven, permit] = run([&]() -> Task<std::tuple<runtime::None, int, bool>> {
    auto [n, v, p] = co_await runtime::gather(ev.wait(), setter(), sem.acquire());
    co_return std::tuple{n, v, static_cast<bool>(p)};
  });
  CHECK(none == runtime::None{});
  CHECK(seven == 7);
  CHECK(permit);
  CHECK(sem.available() == 1);  // the permit went back with the gathered result
}

TEST_CASE("wait_for on a primitive's wait times out and leaves it as it was", "[wait]") {
  runtime::Semaphore sem(1);
  runtime::Event ev;
  run([&]() -> Task<void> {
    auto p = co_await sem.acquire();
    CHECK_THROWS_AS(co_await runtime::wait_for(sem.acquire(), 20ms), runtime::TimeoutError);
    CHECK_THROWS_AS(co_await runtime::wait_for(ev.wait(), 20ms), runtime::TimeoutError);
    // The clock's own duration too (it once matched the Task overload as well: ambiguous).
    const std::chrono::steady_clock::duration limit = 20ms;
    CHECK_THROWS_AS(co_await runtime::wait_for(ev.wait(), limit), runtime::TimeoutError);
    CHECK(sem.waiters() == 0);
    CHECK(ev.waiters() == 0);
    CHECK(sem.available() == 0);
    p.release();
    auto again = co_await runtime::wait_for(sem.acquire(), 10s);
    CHECK(static_cast<bool>(again));
  });
  CHECK(sem.available() == 1);
}

TEST_CASE("a cancelled task's wait throws even when the resource is free", "[wait]") {
  runtime::Lock lock;
  runtime::Semaphore sem(1);
  auto task = [&]() -> Task<int> {
      int thrown = 0;
      try {
        co_await runtime::sleep(10s);  // cancelled here
      } catch (const std::exception& e) {
        if (runtime::is_cancellation(e)) ++thrown;
      }
      // Like every later co_await of a cancelled task (Asio's default), the
      // waits throw instead of claiming what they wait for.
      try {
        auto g = co_await lock.acquire();
      } catch (const std::exception& e) {
        if (runtime::is_cancellation(e)) ++thrown;
      }
      try {
        auto p = co_await sem.acquire();
      } catch (const std::exception& e) {
        if (runtime::is_cancellation(e)) ++thrown;
      }
      co_return thrown;
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(task());
    co_await runtime::yield();
    t.cancel();
    CHECK(co_await t.wait() == 3);
  });
  CHECK_FALSE(lock.locked());
  CHECK(sem.available() == 1);
}
