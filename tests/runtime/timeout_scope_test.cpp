// runtime::timeout / timeout_at: asyncio.timeout() scopes.
#include <atomic>
#include <optional>
#include <stdexcept>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;
using Scope = runtime::Timeout;

TEST_CASE("timeout scope: one deadline over several awaits, expiry is a TimeoutError at the scope's end",
          "[timeout_scope][cancel]") {
  runtime::Event never;
  int steps_done = 0;
  bool third_cancelled = false;
  bool timed_out = false;
  bool went_on = false;
  auto steps = [&]() -> Task<void> {
    co_await runtime::sleep(10ms);
    ++steps_done;
    co_await runtime::sleep(10ms);
    ++steps_done;
    try {
      co_await never.wait();
    } catch (const std::exception& e) {
      third_cancelled = runtime::is_cancellation(e);
      throw;
    }
    ++steps_done;
  };
  const auto start = Clock::now();
  long long at_timeout = -1;
  run([&]() -> Task<void> {
    auto scope = runtime::timeout(100ms);
    try {
      co_await scope.run(steps());
    } catch (const runtime::TimeoutError&) {
      timed_out = true;
      at_timeout = ms_since(start);
    }
    CHECK(scope.expired());
    // The task itself was never cancelled: it goes on waiting normally.
    co_await runtime::sleep(1ms);
    went_on = true;
  });
  CHECK(timed_out);
  CHECK(steps_done == 2);
  CHECK(third_cancelled);
  CHECK(went_on);
  CHECK(never.waiters() == 0);
  CHECK(at_timeout >= 100);  // the one deadline, not 100 ms per await
  CHECK(at_timeout < 5000);
}

TEST_CASE("timeout scope: a body that ends in time returns its value, the deadline does nothing later",
          "[timeout_scope]") {
  bool later = false;
  run([&]() -> Task<void> {
    auto scope = runtime::timeout(30ms);
    auto quick = []() -> Task<int> {
      co_await runtime::yield();
      co_return 42;
    };
    const auto got = co_await scope.run(quick());
    CHECK(got == 42);
    CHECK_FALSE(scope.expired());
    co_await runtime::sleep(60ms);  // past the deadline: nothing is cancelled
    later = true;
    CHECK_FALSE(scope.expired());
  });
  CHECK(later);
}

TEST_CASE("timeout scope: the body starts at once, on the awaiting task, without a loop turn", "[timeout_scope]") {
  bool other_ran = false;
  bool other_ran_at_body_start = true;
  auto other = [&]() -> Task<void> {
    other_ran = true;
    co_return;
  };
  auto body = [&]() -> Task<void> {
    other_ran_at_body_start = other_ran;
    co_return;
  };
  run([&]() -> Task<void> {
    runtime::create_task(other());
    auto scope = runtime::timeout(10s);
    co_await scope.run(body());
    co_await until([&] { return other_ran; });
  });
  CHECK_FALSE(other_ran_at_body_start);
}

TEST_CASE("timeout scope: reschedule moves the deadline while the body runs", "[timeout_scope]") {
  runtime::Event go;
  SECTION("later: a body that would have timed out finishes") {
    bool timed_out = false;
    run([&]() -> Task<void> {
      auto scope = runtime::timeout(50ms);
      auto body = [&]() -> Task<int> {
        scope.reschedule(Scope::Clock::now() + 30s);
        co_await runtime::sleep(150ms);
        co_return 1;
      };
      try {
        const auto got = co_await scope.run(body());
        CHECK(got == 1);
      } catch (const runtime::TimeoutError&) {
        timed_out = true;
      }
      CHECK_FALSE(scope.expired());
    });
    CHECK_FALSE(timed_out);
  }
  SECTION("sooner: from a long deadline to one already past") {
    const auto start = Clock::now();
    bool timed_out = false;
    run([&]() -> Task<void> {
      auto scope = runtime::timeout(30s);
      auto body = [&]() -> Task<void> {
        co_await runtime::yield();
        scope.reschedule(Scope::Clock::now() - 1s);
        co_await go.wait();
      };
      try {
        co_await scope.run(body());
      } catch (const runtime::TimeoutError&) {
        timed_out = true;
      }
      CHECK(scope.expired());
    });
    CHECK(timed_out);
    CHECK(ms_since(start) < 5000);
  }
  SECTION("to none, and from none") {
    run([&]() -> Task<void> {
      auto scope = runtime::timeout(20ms);
      auto no_deadline = [&]() -> Task<int> {
        scope.reschedule(std::nullopt);
        CHECK_FALSE(scope.when().has_value());
        co_await runtime::sleep(60ms);
        co_return 2;
      };
      const auto got = co_await scope.run(no_deadline());
      CHECK(got == 2);
      auto none = runtime::timeout_at(std::nullopt);
      auto gets_one = [&]() -> Task<void> {
        none.reschedule(Scope::Clock::now() + 20ms);
        co_await go.wait();
      };
      CHECK_THROWS_AS(co_await none.run(gets_one()), runtime::TimeoutError);
    });
  }
  CHECK(go.waiters() == 0);
}

TEST_CASE("timeout scope: a deadline already past cancels the body at its first wait", "[timeout_scope]") {
  runtime::Event never;
  run([&]() -> Task<void> {
    auto past = runtime::timeout_at(Scope::Clock::now() - 1s);
    auto no_wait = []() -> Task<int> { co_return 5; };
    const auto got = co_await past.run(no_wait());
    CHECK(got == 5);  // never waited: nothing to cancel
    CHECK_FALSE(past.expired());
    auto past2 = runtime::timeout(-1s);
    CHECK_THROWS_AS(co_await past2.run(never.wait()), runtime::TimeoutError);
    CHECK(past2.expired());
  });
  CHECK(never.waiters() == 0);
}

TEST_CASE("timeout scope: cancelling the awaiting task stays a cancellation", "[timeout_scope][cancel]") {
  runtime::Event never;
  bool saw_timeout = false;
  std::optional<Scope> scope_slot;
  auto outer = [&]() -> Task<void> {
    auto& scope = scope_slot.emplace(Scope::Clock::now() + 30s);
    try {
      co_await scope.run(never.wait());
    } catch (const runtime::TimeoutError&) {
      saw_timeout = true;
    }
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(outer());
    co_await until([&] { return never.waiters() == 1; });
    t.cancel();
    const bool ended_cancelled = co_await ends_cancelled(t.wait());
    CHECK(ended_cancelled);
  });
  CHECK_FALSE(saw_timeout);
  CHECK_FALSE(scope_slot->expired());
  CHECK(never.waiters() == 0);
}

TEST_CASE("timeout scope: deadline passed and the awaiting task cancelled too: a cancellation, not a TimeoutError",
          "[timeout_scope][cancel]") {
  runtime::Event never, stubborn;
  bool saw_timeout = false;
  bool body_saw_deadline = false;
  // The body outlives the deadline's cancellation (it waits again, with
  // throw_if_cancelled off), until the outer cancellation comes.
  auto body = [&]() -> Task<void> {
    try {
      co_await never.wait();
    } catch (const std::exception& e) {
      body_saw_deadline = runtime::is_cancellation(e);
    }
    co_await boost::asio::this_coro::throw_if_cancelled(false);
    co_await stubborn.wait();  // ends with the cancellation once the outer one arrives
  };
  std::optional<Scope> scope_slot;
  auto outer = [&]() -> Task<void> {
    // Already past, so the body's first wait is cancelled within a few loop
    // turns: a deadline ahead would have `until` below race the clock.
    auto& scope = scope_slot.emplace(Scope::Clock::now() - 1s);
    try {
      co_await scope.run(body());
    } catch (const runtime::TimeoutError&) {
      saw_timeout = true;
    }
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(outer());
    co_await until([&] { return stubborn.waiters() == 1; });
    CHECK(scope_slot->expired());
    t.cancel();
    const bool ended_cancelled = co_await ends_cancelled(t.wait());
    CHECK(ended_cancelled);
  });
  CHECK(body_saw_deadline);
  CHECK_FALSE(saw_timeout);
  CHECK(stubborn.waiters() == 0);
}

TEST_CASE("timeout scope: a body that survives the deadline returns its value, expired() says it came",
          "[timeout_scope]") {
  runtime::Event never;
  run([&]() -> Task<void> {
    auto scope = runtime::timeout(10ms);
    auto body = [&]() -> Task<int> {
      try {
        co_await never.wait();
      } catch (const std::exception& e) {
        if (runtime::is_cancellation(e)) co_return -1;
      }
      co_return 0;
    };
    const auto got = co_await scope.run(body());
    CHECK(got == -1);
    CHECK(scope.expired());
  });
}

TEST_CASE("timeout scope: the body's own exception passes through", "[timeout_scope][errors]") {
  run([&]() -> Task<void> {
    auto scope = runtime::timeout(10s);
    auto bad = []() -> Task<int> {
      co_await runtime::yield();
      throw std::logic_error("own error");
    };
    CHECK_THROWS_AS(co_await scope.run(bad()), std::logic_error);
    CHECK_FALSE(scope.expired());
  });
}

TEST_CASE("timeout scope: expiry gives back the lock and permit the body held or waited for", "[timeout_scope][cancel]") {
  runtime::Lock lock;
  runtime::Semaphore sem(1);
  run([&]() -> Task<void> {
    auto held = sem.try_acquire();
    REQUIRE(held.has_value());
    auto body = [&]() -> Task<void> {
      auto g = co_await lock.acquire();
      auto p = co_await sem.acquire();  // waits: the permit is held above
    };
    auto scope = runtime::timeout(20ms);
    CHECK_THROWS_AS(co_await scope.run(body()), runtime::TimeoutError);
    CHECK_FALSE(lock.locked());
    CHECK(sem.waiters() == 0);
    CHECK(sem.available() == 0);
  });
  CHECK(sem.available() == 1);
}

TEST_CASE("timeout scope: misuse is a logic_error", "[timeout_scope][errors]") {
  runtime::Event never;
  run([&]() -> Task<void> {
    auto scope = runtime::timeout(10s);
    auto nothing = []() -> Task<void> { co_return; };
    co_await scope.run(nothing());
    CHECK_THROWS_AS(co_await scope.run(nothing()), std::logic_error);  // entered once
    CHECK_THROWS_AS(scope.reschedule(Scope::Clock::now()), std::logic_error);  // after its end
    auto expiring = runtime::timeout(10ms);
    bool refused = false;
    auto body = [&]() -> Task<void> {
      try {
        co_await never.wait();
      } catch (const std::exception&) {
      }
      try {
        expiring.reschedule(Scope::Clock::now() + 10s);  // after the deadline fired
      } catch (const std::logic_error&) {
        refused = true;
      }
    };
    co_await expiring.run(body());
    CHECK(refused);
  });
}

TEST_CASE("nested timeout scopes: the inner, shorter one fires, the outer goes on", "[timeout_scope]") {
  runtime::Event never;
  int v = run([&]() -> Task<int> {
    auto outer = runtime::timeout(10s);
    auto body = [&]() -> Task<int> {
      auto inner = runtime::timeout(20ms);
      bool timed_out = false;
      try {
        co_await inner.run(never.wait());
      } catch (const runtime::TimeoutError&) {
        timed_out = true;
      }
      co_await runtime::yield();  // the outer body was not cancelled
      co_return timed_out ? -1 : 0;
    };
    int r = co_await outer.run(body());
    CHECK_FALSE(outer.expired());
    co_return r;
  });
  CHECK(v == -1);
}

TEST_CASE("timeout scopes on several loop threads: slow bodies time out, fast ones win", "[timeout_scope][threads]") {
  std::atomic<int> ok{0}, timeouts{0}, other{0};
  runtime::Event never;
  auto one = [&](int i) -> Task<void> {
    auto scope = runtime::timeout((i % 2) ? 30ms : 10s);
    auto body = [&]() -> Task<int> {
      if (i % 2) co_await never.wait();
      co_await runtime::yield();
      co_return i;
    };
    try {
      if (co_await scope.run(body()) == i && !scope.expired()) ++ok;
    } catch (const runtime::TimeoutError&) {
      if (scope.expired()) ++timeouts;
    } catch (...) {
      ++other;
    }
  };
  const auto start = Clock::now();
  run(
      [&]() -> Task<void> {
        std::vector<Task<void>> ts;
        for (int i = 0; i < 40; ++i) ts.push_back(one(i));
        co_await runtime::gather(std::move(ts));
      },
      4);
  CHECK(ok == 20);
  CHECK(timeouts == 20);
  CHECK(other == 0);
  CHECK(never.waiters() == 0);
  CHECK(ms_since(start) < 5000);
}
