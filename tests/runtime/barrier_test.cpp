// runtime::Barrier: asyncio.Barrier.
#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("wait returns the arrival index, the last arrival releases the others without waiting",
          "[barrier]") {
  runtime::Barrier barrier(3);
  CHECK(barrier.parties() == 3);
  std::vector<std::pair<int, std::size_t>> released;  // (task, index), in the order they went on
  auto party = [&](int id) -> Task<void> {
    std::size_t i = co_await barrier.wait();
    released.emplace_back(id, i);
  };
  run([&]() -> Task<void> {
    auto a = runtime::create_task(party(0));
    co_await until([&] { return barrier.n_waiting() == 1; });
    auto b = runtime::create_task(party(1));
    co_await until([&] { return barrier.n_waiting() == 2; });
    CHECK(released.empty());
    std::size_t last = co_await barrier.wait();  // the third: goes on at once
    CHECK(last == 2);
    CHECK(barrier.n_waiting() == 0);
    CHECK(released.empty());  // the others are released, and run at their next turn
    co_await a.wait();
    co_await b.wait();
  });
  CHECK(released == std::vector<std::pair<int, std::size_t>>{{0, 0}, {1, 1}});
  CHECK_FALSE(barrier.broken());
}

TEST_CASE("a barrier fills again for every round", "[barrier]") {
  runtime::Barrier barrier(2);
  std::vector<std::string> log;
  auto party = [&](std::string name, int rounds) -> Task<void> {
    for (int r = 0; r < rounds; ++r) {
      std::size_t i = co_await barrier.wait();
      log.push_back(name + std::to_string(r) + ":" + std::to_string(i));
    }
  };
  run([&]() -> Task<void> { co_await runtime::gather(party("a", 3), party("b", 3)); });
  // a arrives first in round 0 and waits; b, last, goes on at once and
  // arrives first in round 1, where a is last; and so on.
  CHECK(log == std::vector<std::string>{"b0:1", "a0:0", "a1:1", "b1:0", "b2:1", "a2:0"});
  CHECK(barrier.n_waiting() == 0);
}

TEST_CASE("a barrier of one never waits, a barrier of none is refused", "[barrier][errors]") {
  CHECK_THROWS_AS(runtime::Barrier(0), std::invalid_argument);
  runtime::Barrier one(1);
  run([&]() -> Task<void> {
    std::size_t a = co_await one.wait();
    std::size_t b = co_await one.wait();
    CHECK(a == 0);
    CHECK(b == 0);
  });
}

TEST_CASE("abort breaks the barrier: waiting tasks and later waits throw BrokenBarrierError until reset",
          "[barrier][abort]") {
  runtime::Barrier barrier(3);
  std::vector<std::string> outcomes;
  auto party = [&](int id) -> Task<void> {
    try {
      co_await barrier.wait();
      outcomes.push_back(std::to_string(id) + " passed");
    } catch (const runtime::BrokenBarrierError& e) {
      outcomes.push_back(std::to_string(id) + " " + e.what());
    }
  };
  run([&]() -> Task<void> {
    auto a = runtime::create_task(party(0));
    auto b = runtime::create_task(party(1));
    co_await until([&] { return barrier.n_waiting() == 2; });
    barrier.abort();
    CHECK(barrier.broken());
    CHECK(barrier.n_waiting() == 0);
    co_await a.wait();
    co_await b.wait();
    co_await party(2);  // arrives at a broken barrier
    barrier.reset();
    CHECK_FALSE(barrier.broken());
    // Whole again: a full round passes.
    co_await runtime::gather(party(3), party(4), party(5));
  });
  CHECK(outcomes == std::vector<std::string>{"0 barrier aborted", "1 barrier aborted", "2 barrier aborted",
                                             "5 passed", "3 passed", "4 passed"});
}

TEST_CASE("reset throws BrokenBarrierError in the tasks waiting and leaves the barrier empty and whole",
          "[barrier][reset]") {
  runtime::Barrier barrier(2);
  std::string a_outcome;
  auto a = [&]() -> Task<void> {
    try {
      co_await barrier.wait();
      a_outcome = "passed";
    } catch (const runtime::BrokenBarrierError& e) {
      a_outcome = e.what();
    }
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(a());
    co_await until([&] { return barrier.n_waiting() == 1; });
    barrier.reset();
    CHECK(barrier.n_waiting() == 0);
    CHECK_FALSE(barrier.broken());
    co_await t.wait();
    CHECK(a_outcome == "barrier reset");
    // The next round starts empty: this arrival is the first, not the last.
    auto u = runtime::create_task(a());
    co_await until([&] { return barrier.n_waiting() == 1; });
    std::size_t i = co_await barrier.wait();
    CHECK(i == 1);
    co_await u.wait();
    CHECK(a_outcome == "passed");
  });
}

TEST_CASE("cancelling a waiting task takes it out of the round", "[barrier][cancel]") {
  runtime::Barrier barrier(3);
  std::vector<std::size_t> indices;
  auto party = [&]() -> Task<void> { indices.push_back(co_await barrier.wait()); };
  run([&]() -> Task<void> {
    auto a = runtime::create_task(party());
    co_await until([&] { return barrier.n_waiting() == 1; });
    auto b = runtime::create_task(party());
    co_await until([&] { return barrier.n_waiting() == 2; });
    a.cancel();
    bool c = co_await ends_cancelled(a.wait());
    CHECK(c);
    CHECK(barrier.n_waiting() == 1);  // the count went down with it
    auto d = runtime::create_task(party());
    co_await until([&] { return barrier.n_waiting() == 2; });
    CHECK_FALSE(b.done());  // b and d: two of three, still waiting
    std::size_t last = co_await barrier.wait();
    CHECK(last == 2);
    co_await b.wait();
    co_await d.wait();
  });
  // As in asyncio, an index is the number waiting on arrival: d arrived
  // when only b was left, so it shares b's index.
  CHECK(indices == std::vector<std::size_t>{1, 1});
  CHECK(barrier.n_waiting() == 0);
}

TEST_CASE("rounds of a barrier on several threads: nobody leaves a round before all have arrived",
          "[barrier][threads]") {
  constexpr int parties = 6;
  constexpr int rounds = 100;
  runtime::Barrier barrier(parties);
  std::vector<std::atomic<int>> arrived(rounds);
  std::vector<std::atomic<int>> index_seen(rounds * parties);  // how often each (round, index) was returned
  std::atomic<int> early{0};
  auto party = [&]() -> Task<void> {
    for (int r = 0; r < rounds; ++r) {
      ++arrived[r];
      std::size_t i = co_await barrier.wait();
      if (arrived[r] != parties) ++early;
      if (i < parties) ++index_seen[r * parties + i];
      if (r % 3 == 0) co_await runtime::yield();
    }
  };
  run(
      [&]() -> Task<void> {
        std::vector<Task<void>> ps;
        for (int p = 0; p < parties; ++p) ps.push_back(party());
        co_await runtime::gather(std::move(ps));
      },
      4);
  CHECK(early == 0);
  // Every round handed out each index 0..parties-1 exactly once.
  CHECK(std::all_of(index_seen.begin(), index_seen.end(), [](const auto& n) { return n == 1; }));
  CHECK(barrier.n_waiting() == 0);
}

TEST_CASE("waiters cancelled on several threads while the barrier is aborted each end once",
          "[barrier][cancel][threads]") {
  runtime::Barrier barrier(100);  // never fills
  auto [broken, cancelled] = cancel_while_ending<runtime::BrokenBarrierError>(
      40, [&] { return barrier.wait(); }, [&] { return barrier.n_waiting() >= 30; }, [&] { barrier.abort(); });
  CHECK(broken + cancelled == 40);
  CHECK(broken >= 20);  // the ones not cancelled, at least
  CHECK(barrier.n_waiting() == 0);
}
