// runtime::current_task / all_tasks: asyncio.current_task() and asyncio.all_tasks().
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("current_task is the task the coroutine runs in, also in nested coroutines and after waits",
          "[current_task]") {
  runtime::Lock lock;
  runtime::Event go;
  std::vector<bool> same;
  auto nested = []() -> Task<runtime::AnyTask> { co_return co_await runtime::current_task(); };
  auto body = [&](runtime::AnyTask* expected) -> Task<void> {
    co_await go.wait();
    same.push_back(co_await runtime::current_task() == *expected);
    same.push_back(co_await nested() == *expected);
    co_await runtime::sleep(1ms);
    same.push_back(co_await runtime::current_task() == *expected);
    auto g = co_await lock.acquire();
    same.push_back(co_await runtime::current_task() == *expected);
  };
  run([&]() -> Task<void> {
    runtime::AnyTask a, b;
    auto ha = runtime::create_task(body(&a));
    auto hb = runtime::create_task(body(&b));
    a = ha;
    b = hb;
    CHECK_FALSE(a == b);
    auto me = co_await runtime::current_task();
    CHECK(me);
    CHECK_FALSE(me == a);
    go.set();
    co_await ha.wait();
    co_await hb.wait();
  });
  CHECK(same == std::vector<bool>(8, true));
}

TEST_CASE("current_task inside a timeout scope's body is the task that runs the scope", "[current_task][timeout]") {
  // asyncio: current_task() inside `async with asyncio.timeout()` is the
  // enclosing task; the body runs on an Asio thread of its own here.
  std::atomic<int> same{0}, other{0}, waiting{0};
  auto note = [&](bool is_same) { ++(is_same ? same : other); };
  auto body = [&](runtime::AnyTask expected, runtime::Event& go) -> Task<void> {
    note(co_await runtime::current_task() == expected);  // before its first wait
    ++waiting;
    co_await go.wait();
    note(co_await runtime::current_task() == expected);  // resumed by another task's set()
    auto inner = runtime::timeout(10s);
    co_await inner.run([&]() -> Task<void> {  // a scope in the scope's body
      co_await runtime::sleep(1ms);
      note(co_await runtime::current_task() == expected);
    }());
    note(co_await runtime::current_task() == expected);
  };
  auto scoped = [&](runtime::AnyTask* me, runtime::Event& go) -> Task<void> {
    *me = co_await runtime::current_task();
    auto scope = runtime::timeout(10s);
    co_await scope.run(body(*me, go));
    note(co_await runtime::current_task() == *me);  // the scope is over
  };
  for (std::size_t threads : {1, 4}) {
    same = other = waiting = 0;
    bool distinct = false;
    run(
        [&]() -> Task<void> {
          runtime::AnyTask a, b;
          runtime::Event go;
          auto ha = runtime::create_task(scoped(&a, go));
          auto hb = runtime::create_task(scoped(&b, go));
          co_await until([&] { return waiting == 2; });  // both bodies wait on go
          go.set();
          co_await ha.wait();
          co_await hb.wait();
          distinct = a && b && !(a == b);
        },
        threads);
    CHECK(distinct);
    CHECK(same == 10);
    CHECK(other == 0);
  }
}

TEST_CASE("current_task is empty where there is no task of the runtime's", "[current_task]") {
  std::vector<bool> found;
  auto probe = [&]() -> Task<void> { found.push_back(static_cast<bool>(co_await runtime::current_task())); };
  auto asio_started = [&](runtime::Event& done) -> Task<void> {
    co_await probe();
    done.set();
  };
  run([&]() -> Task<void> {
    // Children of gather over a vector run without a task of their own.
    std::vector<Task<void>> children;
    children.push_back(probe());
    children.push_back(probe());
    co_await runtime::gather(std::move(children));
    // A coroutine Asio started on its own.
    runtime::Event done;
    boost::asio::co_spawn(co_await boost::asio::this_coro::executor, asio_started(done), boost::asio::detached);
    co_await done.wait();
    // The variadic gather makes a task per argument.
    co_await runtime::gather(probe());
  });
  CHECK(found == std::vector<bool>{false, false, false, true});
}

TEST_CASE("all_tasks lists the loop's unfinished tasks", "[current_task][all_tasks]") {
  runtime::Event go;
  auto body = [&]() -> Task<void> { co_await go.wait(); };
  auto nothing = []() -> Task<void> { co_return; };
  CHECK_THROWS_AS(runtime::all_tasks(), std::logic_error);  // no loop on this thread
  run([&]() -> Task<void> {
    const auto before = runtime::all_tasks().size();  // the main task and rt_test::run's deadline wrapper
    CHECK(before == 2);
    auto me = co_await runtime::current_task();
    auto a = runtime::create_task(body(), "a");
    auto b = runtime::create_task(body(), "b");
    auto done = runtime::create_task(nothing(), "done");
    co_await done.wait();
    auto all = runtime::all_tasks();
    std::vector<std::string> names;
    for (auto& t : all) names.push_back(t.name());
    std::sort(names.begin(), names.end());
    CHECK(all.size() == before + 2);
    CHECK(std::count(all.begin(), all.end(), me) == 1);
    CHECK(std::count(all.begin(), all.end(), runtime::AnyTask(a)) == 1);
    CHECK(std::count(names.begin(), names.end(), "b") == 1);
    CHECK(std::count(names.begin(), names.end(), "done") == 0);
    for (auto& t : all) CHECK_FALSE(t.done());
    go.set();
    co_await a.wait();
    co_await b.wait();
    CHECK(runtime::all_tasks().size() == before);
  });
}

TEST_CASE("current_task on several loop threads finds each task's own", "[current_task][threads]") {
  constexpr int n = 24;
  std::vector<runtime::AnyTask> handles(n);
  runtime::Event go;
  std::atomic<int> matched{0};
  auto body = [&](int i) -> Task<void> {
    co_await go.wait();
    for (int k = 0; k < 5; ++k) {
      if (co_await runtime::current_task() == handles[i]) ++matched;
      co_await runtime::yield();
    }
  };
  std::atomic<std::size_t> listed{0};
  run(
      [&]() -> Task<void> {
        std::vector<runtime::TaskHandle<void>> hs;
        for (int i = 0; i < n; ++i) {
          hs.push_back(runtime::create_task(body(i)));
          handles[i] = hs.back();
        }
        go.set();  // the handles are stored before any task reads them
        listed = runtime::all_tasks().size();
        for (auto& h : hs) co_await h.wait();
      },
      4);
  CHECK(matched == n * 5);
  CHECK(listed >= 2);
}
