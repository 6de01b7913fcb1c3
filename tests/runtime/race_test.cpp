// runtime::race: the first to finish wins (Cobalt's race, Tokio's select!).
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

namespace {

// What a racer went through, read after the race has returned.
struct Racer {
  bool started = false;
  bool cancelled = false;
  bool finished = false;  // its frame is gone: it ran to its end, whichever way
};

// Records its end however it ends (a local's destructor runs last in the frame).
struct Finish {
  bool& flag;
  ~Finish() { flag = true; }
};

// Waits on `ev`, then returns `v`; notes a cancellation.
Task<int> wait_then(runtime::Event& ev, int v, Racer& r) {
  Finish f{r.finished};
  r.started = true;
  try {
    co_await ev.wait();
  } catch (const std::exception& e) {
    r.cancelled = runtime::is_cancellation(e);
    throw;
  }
  co_return v;
}

Task<int> at_once(int v, Racer& r) {
  Finish f{r.finished};
  r.started = true;
  co_return v;
}

}  // namespace

TEST_CASE("race: the first to finish wins, the loser is cancelled and finished before race returns", "[race][cancel]") {
  runtime::Event never;
  Racer fast, slow;
  bool slow_done_at_return = false;
  bool slow_cancelled_at_return = false;
  auto r = run([&]() -> Task<std::variant<int, int>> {
    auto v = co_await runtime::race(wait_then(never, 1, slow), at_once(2, fast));
    slow_done_at_return = slow.finished;
    slow_cancelled_at_return = slow.cancelled;
    co_return v;
  });
  REQUIRE(r.index() == 1);  // the same type twice: the index still says which won
  CHECK(std::get<1>(r) == 2);
  CHECK(slow.started);
  CHECK(slow_cancelled_at_return);
  CHECK(slow_done_at_return);
  CHECK(fast.finished);
  CHECK(never.waiters() == 0);
}

TEST_CASE("race: the winner is the one that finishes first, whatever the argument order", "[race]") {
  runtime::Event a_go, b_go;
  Racer a, b;
  auto release_b = [&]() -> Task<void> {
    co_await until([&] { return a_go.waiters() == 1 && b_go.waiters() == 1; });
    b_go.set();
  };
  auto r = run([&]() -> Task<std::variant<int, int>> {
    runtime::create_task(release_b());
    co_return co_await runtime::race(wait_then(a_go, 10, a), wait_then(b_go, 20, b));
  });
  REQUIRE(r.index() == 1);
  CHECK(std::get<1>(r) == 20);
  CHECK(a.cancelled);
  CHECK_FALSE(b.cancelled);
}

TEST_CASE("race: a fast failure wins over a slow success and is rethrown", "[race][errors]") {
  runtime::Event never;
  Racer slow;
  auto fails = []() -> Task<std::string> {
    co_await runtime::yield();
    throw std::runtime_error("fast failure");
  };
  std::string what;
  bool slow_done_at_rethrow = false;
  run([&]() -> Task<void> {
    try {
      co_await runtime::race(wait_then(never, 1, slow), fails());
    } catch (const std::runtime_error& e) {
      what = e.what();
      slow_done_at_rethrow = slow.finished;
    }
  });
  CHECK(what == "fast failure");  // Asio's `a || b` would wait for the success instead
  CHECK(slow.cancelled);
  CHECK(slow_done_at_rethrow);
}

TEST_CASE("race: the tasks start in argument order at the loop's next turn", "[race]") {
  std::vector<int> order;
  runtime::Event never;
  auto note = [&](int i) -> Task<int> {
    order.push_back(i);
    co_await never.wait();
    co_return i;
  };
  auto wins = [&]() -> Task<int> {
    order.push_back(3);
    co_await until([&] { return never.waiters() == 2; });
    co_return 3;
  };
  auto r = run([&]() -> Task<std::variant<int, int, int>> { co_return co_await runtime::race(note(1), note(2), wins()); });
  CHECK(r.index() == 2);
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("race: mixed types, void as None, and a primitive's wait as an argument", "[race]") {
  runtime::Event never;
  runtime::Semaphore sem(1);
  auto nothing = []() -> Task<void> { co_await runtime::yield(); };
  auto text = [&]() -> Task<std::string> {
    co_await never.wait();
    co_return "never";
  };
  run([&]() -> Task<void> {
    auto r = co_await runtime::race(text(), nothing());
    CHECK(r.index() == 1);
    CHECK(std::get<1>(r) == runtime::None{});
    // A free permit is taken at once: the semaphore's wait wins, the event's is cancelled.
    auto p = co_await runtime::race(never.wait(), sem.acquire());
    REQUIRE(p.index() == 1);
    CHECK(static_cast<bool>(std::get<1>(p)));
    CHECK(sem.available() == 0);
  });
  CHECK(sem.available() == 1);  // the permit went back with the race's result
  CHECK(never.waiters() == 0);
}

TEST_CASE("race: a loser's late value is dropped before race returns", "[race]") {
  // The winner sets the event the loser waits on, and ends: the loser's wake-up
  // is queued before its cancellation, so it takes the lock and returns its
  // guard, too late, and the guard is dropped.
  runtime::Lock lock;
  runtime::Event go;
  bool late = false;
  auto guard = [&]() -> Task<runtime::Lock::Guard> {
    co_await go.wait();
    auto g = co_await lock.acquire();
    late = true;
    co_return g;
  };
  auto first = [&]() -> Task<runtime::Lock::Guard> {
    go.set();
    co_return runtime::Lock::Guard{};
  };
  run([&]() -> Task<void> {
    auto r = co_await runtime::race(guard(), first());
    CHECK(r.index() == 1);
    CHECK(late);
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("race: on one loop thread, the racers after one that finishes at once never run", "[race]") {
  // As an asyncio task cancelled before it starts: its body never runs, and
  // its frame (with its arguments) is gone before race returns.
  runtime::Event never;
  Racer first, before, after;
  auto token = std::make_shared<int>(0);
  auto holds = [&]([[maybe_unused]] std::shared_ptr<int> t, Racer& r) -> Task<int> {
    co_return co_await wait_then(never, 3, r);
  };
  run([&]() -> Task<void> {
    auto r = co_await runtime::race(wait_then(never, 1, before), at_once(2, first), holds(token, after));
    CHECK(r.index() == 1);
    CHECK(token.use_count() == 1);
    std::vector<Task<int>> tasks;
    tasks.push_back(at_once(4, first));
    tasks.push_back(holds(token, after));
    auto [index, v] = co_await runtime::race(std::move(tasks));
    CHECK(index == 0);
    CHECK(v == 4);
    CHECK(token.use_count() == 1);
  });
  CHECK(before.started);
  CHECK(before.cancelled);
  CHECK_FALSE(after.started);
  CHECK(never.waiters() == 0);
}

TEST_CASE("race: a loser that catches its cancellation runs its handler, and what it then does is dropped",
          "[race][cancel]") {
  runtime::Event never;
  Racer fast;
  bool caught = false, cleaned_up_at_return = false, cleaned_up = false;
  auto catches = [&](bool then_fails) -> Task<int> {
    try {
      co_await never.wait();
    } catch (const runtime::CancelledError&) {
      caught = true;
    }
    cleaned_up = true;
    if (then_fails) throw std::runtime_error("after the cancellation");
    co_return 7;  // too late: dropped
  };
  run([&]() -> Task<void> {
    auto r = co_await runtime::race(catches(false), at_once(1, fast));
    cleaned_up_at_return = cleaned_up;
    CHECK(r.index() == 1);
    CHECK(std::get<1>(r) == 1);
    caught = cleaned_up = false;
    auto f = co_await runtime::race(catches(true), at_once(2, fast));  // its failure is not rethrown
    CHECK(f.index() == 1);
  });
  CHECK(cleaned_up_at_return);
  CHECK(caught);
  CHECK(cleaned_up);
  CHECK(never.waiters() == 0);
}

TEST_CASE("race over a vector returns the winner's index and value", "[race]") {
  runtime::Event never;
  std::vector<Racer> racers(5);
  auto r = run([&]() -> Task<std::pair<std::size_t, int>> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 5; ++i) tasks.push_back(i == 3 ? at_once(30, racers[i]) : wait_then(never, i, racers[i]));
    co_return co_await runtime::race(std::move(tasks));
  });
  CHECK(r.first == 3);
  CHECK(r.second == 30);
  for (int i = 0; i < 4; ++i) {
    INFO("racer " << i);
    CHECK(racers[i].finished);
    CHECK(racers[i].cancelled == (i != 3));
  }
  CHECK_FALSE(racers[4].started);  // after the winner, which finished at once: never started
  CHECK(never.waiters() == 0);
}

TEST_CASE("race over an empty vector throws invalid_argument", "[race][errors]") {
  CHECK_THROWS_AS(run([]() -> Task<std::pair<std::size_t, int>> {
                    co_return co_await runtime::race(std::vector<Task<int>>{});
                  }),
                  std::invalid_argument);
}

TEST_CASE("cancelling the task in race cancels every racer, waits for them, and throws the cancellation",
          "[race][cancel]") {
  runtime::Event never;
  std::vector<Racer> racers(3);
  int finished_when_thrown = -1;
  auto racer = [&]() -> Task<void> {
    try {
      co_await runtime::race(wait_then(never, 0, racers[0]), wait_then(never, 1, racers[1]),
                             wait_then(never, 2, racers[2]));
    } catch (const std::exception& e) {
      if (runtime::is_cancellation(e)) {
        finished_when_thrown = 0;
        for (auto& r : racers) finished_when_thrown += r.finished;
      }
      throw;
    }
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(racer());
    co_await until([&] { return never.waiters() == 3; });
    t.cancel();
    const bool ended_cancelled = co_await ends_cancelled(t.wait());
    CHECK(ended_cancelled);
  });
  CHECK(finished_when_thrown == 3);
  for (auto& r : racers) CHECK(r.cancelled);
  CHECK(never.waiters() == 0);
}

TEST_CASE("a race inside a wait_for: the deadline cancels both racers", "[race][cancel][timeout]") {
  runtime::Event never;
  Racer a, b;
  run([&]() -> Task<void> {
    CHECK_THROWS_AS(co_await runtime::wait_for(runtime::race(wait_then(never, 1, a), wait_then(never, 2, b)), 20ms),
                    runtime::TimeoutError);
  });
  CHECK(a.cancelled);
  CHECK(b.cancelled);
  CHECK(never.waiters() == 0);
}

TEST_CASE("races on several loop threads: one winner each, every loser cancelled and finished", "[race][threads]") {
  constexpr int kRaces = 200;
  runtime::Event never;
  std::atomic<int> wins{0}, losers_cancelled{0}, losers_finished{0}, wrong{0};
  auto loser = [&]() -> Task<int> {
    struct Done {
      std::atomic<int>& n;
      ~Done() { ++n; }
    } done{losers_finished};
    try {
      co_await never.wait();
    } catch (const std::exception& e) {
      if (runtime::is_cancellation(e)) ++losers_cancelled;
      throw;
    }
    co_return -1;
  };
  auto winner = [](int i) -> Task<int> {
    co_await runtime::yield();
    co_return i;
  };
  auto one = [&](int i) -> Task<void> {
    const int before = losers_finished.load();
    std::vector<Task<int>> tasks;
    tasks.push_back(loser());
    tasks.push_back(winner(i));
    tasks.push_back(loser());
    auto [index, v] = co_await runtime::race(std::move(tasks));
    // This race's two losers have finished (others' may have too).
    if (index != 1 || v != i || losers_finished.load() < before + 2) ++wrong;
    ++wins;
  };
  run(
      [&]() -> Task<void> {
        std::vector<Task<void>> all;
        for (int i = 0; i < kRaces; ++i) all.push_back(one(i));
        co_await runtime::gather(std::move(all));
      },
      4);
  CHECK(wins == kRaces);
  CHECK(wrong == 0);
  CHECK(losers_cancelled == 2 * kRaces);
  CHECK(losers_finished == 2 * kRaces);
  CHECK(never.waiters() == 0);
}

TEST_CASE("races on several loop threads where every racer can win: exactly one does", "[race][threads]") {
  constexpr int kRaces = 200;
  std::atomic<int> wrong{0}, total{0};
  auto quick = [](int v) -> Task<int> {
    co_await runtime::yield();
    co_return v;
  };
  auto one = [&]() -> Task<void> {
    auto r = co_await runtime::race(quick(0), quick(1), quick(2), quick(3));
    const int seen = std::visit([](int v) { return v; }, r);
    if (seen != static_cast<int>(r.index())) ++wrong;
    ++total;
  };
  run(
      [&]() -> Task<void> {
        std::vector<Task<void>> all;
        for (int i = 0; i < kRaces; ++i) all.push_back(one());
        co_await runtime::gather(std::move(all));
      },
      4);
  CHECK(total == kRaces);
  CHECK(wrong == 0);
}

TEST_CASE("cancelling races on several loop threads leaves nothing waiting", "[race][threads][cancel]") {
  runtime::Event never;
  std::atomic<int> cancelled{0};
  auto waits = [&]() -> Task<int> {
    try {
      co_await never.wait();
    } catch (...) {
      ++cancelled;
      throw;
    }
    co_return 0;
  };
  auto racer = [&]() -> Task<void> { co_await runtime::race(waits(), waits()); };
  run(
      [&]() -> Task<void> {
        std::vector<runtime::TaskHandle<void>> racers;
        for (int i = 0; i < 50; ++i) racers.push_back(runtime::create_task(racer()));
        co_await until([&] { return never.waiters() == 100; });
        for (auto& r : racers) r.cancel();
        for (auto& r : racers) co_await ends_cancelled(r.wait());
      },
      4);
  CHECK(cancelled == 100);
  CHECK(never.waiters() == 0);
}
