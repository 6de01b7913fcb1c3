// runtime::create_task and TaskHandle: asyncio.create_task / asyncio.Task.
#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace rt_test;

TEST_CASE("create_task does not run the task before the creator yields", "[create_task]") {
  bool ran = false;
  auto body = [&]() -> Task<int> {
    ran = true;
    co_return 5;
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(body());
    CHECK_FALSE(ran);
    CHECK_FALSE(t.done());
    std::atomic<int> spin{0};
    while (spin.fetch_add(1) < 100000) {
    }  // a busy creator: the task still has not run
    CHECK_FALSE(ran);
    co_await runtime::yield();
    CHECK(ran);
    CHECK(t.done());
    CHECK(t.result() == 5);
  });
}

TEST_CASE("tasks start in the order they were created", "[create_task]") {
  std::vector<int> order;
  auto body = [&](int i) -> Task<void> {
    order.push_back(i);
    co_return;
  };
  run([&]() -> Task<void> {
    std::vector<runtime::TaskHandle<void>> hs;
    for (int i = 0; i < 5; ++i) hs.push_back(runtime::create_task(body(i)));
    for (auto& h : hs) co_await h.wait();
  });
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("a task handle can be awaited many times and by several tasks", "[create_task]") {
  runtime::Event go;
  auto producer = [&]() -> Task<std::string> {
    co_await go.wait();
    co_return "value";
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(producer());
    auto other = [t]() -> Task<std::string> { co_return co_await t.wait(); };
    auto o1 = runtime::create_task(other());
    auto o2 = runtime::create_task(other());
    co_await until([&] { return go.waiters() == 1; });
    go.set();
    auto first = co_await t.wait();
    CHECK(first == "value");
    auto again = co_await t.wait();
    CHECK(again == "value");
    auto v1 = co_await o1.wait();
    auto v2 = co_await o2.wait();
    CHECK(v1 == "value");
    CHECK(v2 == "value");
    CHECK(t.result() == "value");
  });
}

TEST_CASE("result() of a running task throws logic_error", "[create_task]") {
  runtime::Event go;
  auto body = [&]() -> Task<int> {
    co_await go.wait();
    co_return 1;
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(body());
    CHECK_THROWS_AS(t.result(), std::logic_error);
    CHECK_THROWS_AS(t.outcome(), std::logic_error);
    CHECK_FALSE(t.cancelled());
    go.set();
    int v = co_await t.wait();
    CHECK(v == 1);
  });
}

TEST_CASE("a task's exception propagates through wait, result and outcome", "[create_task][errors]") {
  auto fails = []() -> Task<int> {
    co_await runtime::yield();
    throw std::runtime_error("task failed");
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(fails());
    std::string what;
    try {
      co_await t.wait();
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
    CHECK(what == "task failed");
    CHECK(t.done());
    CHECK_FALSE(t.cancelled());
    CHECK_THROWS_WITH(t.result(), "task failed");
    auto o = t.outcome();
    CHECK_FALSE(o.ok());
    CHECK_THROWS_AS(o.value(), std::runtime_error);
  });
}

TEST_CASE("a failing task does not disturb its creator", "[create_task][errors]") {
  auto fails = []() -> Task<void> {
    throw std::runtime_error("ignored");
    co_return;
  };
  int v = run([&]() -> Task<int> {
    auto t = runtime::create_task(fails());
    co_await until([&] { return t.done(); });
    co_return 9;
  });
  CHECK(v == 9);
}

TEST_CASE("void tasks: wait returns, result is None", "[create_task]") {
  auto body = []() -> Task<void> { co_await runtime::yield(); };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(body());
    co_await t.wait();
    CHECK(t.result() == runtime::None{});
    CHECK(t.outcome().ok());
  });
}

TEST_CASE("cancel interrupts the task's wait, cancelled() and wait report it", "[create_task][cancel]") {
  runtime::Event never;
  bool cleanup_ran = false;
  auto body = [&]() -> Task<int> {
    try {
      co_await never.wait();
    } catch (...) {
      cleanup_ran = true;
      throw;
    }
    co_return 1;
  };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(body());
    co_await until([&] { return never.waiters() == 1; });
    t.cancel();
    bool was_cancelled = co_await ends_cancelled(t.wait());
    CHECK(was_cancelled);
    CHECK(cleanup_ran);
    CHECK(t.done());
    CHECK(t.cancelled());
    CHECK(never.waiters() == 0);
    CHECK_FALSE(t.outcome().ok());
    CHECK(runtime::is_cancellation(t.outcome().error()));
  });
}

TEST_CASE("cancelling a task right after creating it still cancels it", "[create_task][cancel]") {
  runtime::Event never;
  auto body = [&]() -> Task<void> { co_await never.wait(); };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(body());
    t.cancel();  // before the task has had a turn
    bool was_cancelled = co_await ends_cancelled(t.wait());
    CHECK(was_cancelled);
    CHECK(t.cancelled());
    CHECK(never.waiters() == 0);
  });
}

TEST_CASE("cancelling a finished task changes nothing", "[create_task][cancel]") {
  auto body = []() -> Task<int> { co_return 4; };
  run([&]() -> Task<void> {
    auto t = runtime::create_task(body());
    int v = co_await t.wait();
    CHECK(v == 4);
    t.cancel();
    co_await runtime::yield();
    CHECK_FALSE(t.cancelled());
    CHECK(t.result() == 4);
  });
}

TEST_CASE("cancelling a task waiting on another cancels both, and the wait ends after the other finished",
          "[create_task][cancel]") {
  runtime::Event never;
  bool inner_finished = false;
  bool inner_done_when_outer_resumed = false;
  auto inner = [&]() -> Task<int> {
    try {
      co_await never.wait();
    } catch (...) {
      inner_finished = true;
      throw;
    }
    co_return 0;
  };
  auto outer = [&](runtime::TaskHandle<int> h) -> Task<int> {
    try {
      co_return co_await h.wait();
    } catch (...) {
      inner_done_when_outer_resumed = inner_finished && h.done();
      throw;
    }
  };
  run([&]() -> Task<void> {
    auto in = runtime::create_task(inner());
    auto out = runtime::create_task(outer(in));
    co_await until([&] { return never.waiters() == 1; });
    co_await runtime::yield();  // outer is parked on in.wait() by now
    out.cancel();
    bool out_cancelled = co_await ends_cancelled(out.wait());
    CHECK(out_cancelled);
    CHECK(in.cancelled());
    CHECK(inner_done_when_outer_resumed);
    CHECK(never.waiters() == 0);
  });
}

TEST_CASE("cancelling one waiter of a task whose waiters are many", "[create_task][cancel]") {
  // The awaited task is cancelled with the awaiting one (asyncio semantics):
  // the other waiters then see its cancellation.
  runtime::Event never;
  auto inner = [&]() -> Task<int> {
    co_await never.wait();
    co_return 0;
  };
  auto waiter = [](runtime::TaskHandle<int> h) -> Task<int> { co_return co_await h.wait(); };
  run([&]() -> Task<void> {
    auto in = runtime::create_task(inner());
    auto w1 = runtime::create_task(waiter(in));
    auto w2 = runtime::create_task(waiter(in));
    co_await until([&] { return never.waiters() == 1; });
    co_await runtime::yield();
    w1.cancel();
    bool c1 = co_await ends_cancelled(w1.wait());
    bool c2 = co_await ends_cancelled(w2.wait());
    CHECK(c1);
    CHECK(c2);
    CHECK(in.cancelled());
  });
}

TEST_CASE("fire-and-forget tasks whose handles are dropped at once run and clean up", "[create_task]") {
  // The handle is the only owner the caller sees; the runtime must keep the
  // task's state alive until Asio is done with it, also for a task that ends
  // without ever suspending.
  int ran = 0;
  auto quick = [&]() -> Task<void> {
    ++ran;
    co_return;
  };
  auto parks_once = [&]() -> Task<void> {
    co_await runtime::yield();
    ++ran;
  };
  run([&]() -> Task<void> {
    for (int i = 0; i < 50; ++i) {
      runtime::create_task(quick());
      runtime::create_task(parks_once());
    }
    co_await until([&] { return ran == 100; });
    for (int i = 0; i < 5; ++i) co_await runtime::yield();
  });
  CHECK(ran == 100);
}

TEST_CASE("a task awaiting a task that finishes continues at once on a one-thread loop", "[create_task]") {
  std::vector<std::string> order;
  auto child = [&]() -> Task<int> {
    order.push_back("child");
    co_return 1;
  };
  auto bystander = [&]() -> Task<void> {
    order.push_back("bystander");
    co_return;
  };
  run([&]() -> Task<void> {
    auto c = runtime::create_task(child());
    auto b = runtime::create_task(bystander());
    CHECK(co_await c.wait() == 1);
    // The bystander was ready before the child finished, and still runs
    // after its awaiter: the awaiter did not wait for a loop turn.
    order.push_back("awaiter");
    co_await b.wait();
  });
  CHECK(order == std::vector<std::string>{"child", "awaiter", "bystander"});
}

TEST_CASE("a long chain of tasks each awaiting the next ends without exhausting the stack", "[create_task]") {
  // Task k creates task k-1 and awaits it; when the last one ends, each
  // awaiter continues inline only up to a bounded depth, then through the loop.
  std::function<Task<int>(int)> chain = [&](int k) -> Task<int> {
    if (k == 0) co_return 0;
    auto next = runtime::create_task(chain(k - 1));
    co_return 1 + co_await next.wait();
  };
  CHECK(run([&] { return chain(50000); }) == 50000);
}

TEST_CASE("a task handle may outlive a run on several loop threads", "[create_task][threads]") {
  // With several threads a task runs on a strand of the loop; a handle kept
  // past run() must not hold it (the strand's release touches the loop).
  std::vector<runtime::TaskHandle<int>> kept;  // [0] finished, [1] cancelled by run()
  auto answer = []() -> Task<int> { co_return 42; };
  auto forever = []() -> Task<int> {
    runtime::Event never;
    co_await never.wait();
    co_return 0;
  };
  run(
      [&]() -> Task<void> {
        kept.push_back(runtime::create_task(answer()));
        kept.push_back(runtime::create_task(forever()));  // run() cancels it when main ends
        co_await kept[0].wait();
      },
      4);
  CHECK(kept[0].result() == 42);
  CHECK(kept[1].cancelled());
  for (auto& h : kept) h.cancel();  // both finished: nothing to do, nothing posted
  kept.clear();                     // the last references go after the loop is gone
}

TEST_CASE("a loop stopped with a task's launch still queued frees the task unrun", "[create_task]") {
  // What is left when an exception escapes a one-thread loop: the queued
  // launch is destroyed with it, and the task's frames and state with the
  // launch.
  auto held = std::make_shared<int>(0);
  std::weak_ptr<int> watch = held;
  bool ran = false;
  auto body = [](std::shared_ptr<int>, bool& ran) -> Task<void> {
    ran = true;
    co_return;
  };
  {
    runtime::detail::Loop loop(1);
    CHECK_THROWS_AS(loop.run([&] {
      runtime::create_task(body(std::move(held), ran));
      throw std::runtime_error("the loop stops");
    }),
                    std::runtime_error);
    CHECK_FALSE(watch.expired());  // the launch is still queued
  }
  CHECK_FALSE(ran);
  CHECK(watch.expired());
}

TEST_CASE("a task's wait handed to create_task outlives the handle it came from", "[create_task]") {
  auto answer = []() -> Task<int> { co_return 42; };
  CHECK(run([&]() -> Task<int> {
          // The inner handle is a temporary: gone before either task runs.
          auto outer = runtime::create_task(runtime::create_task(answer()).wait());
          co_return co_await outer.wait();
        }) == 42);
}

TEST_CASE("a task of a one-thread loop awaited on another loop: logic_error (asyncio: RuntimeError)", "[create_task]") {
  runtime::Event go;
  run([&]() -> Task<void> {
    auto t = runtime::create_task(go.wait());
    CHECK(throws_logic_error_on_another_loop([&]() -> Task<void> { co_await t.wait(); }));
    go.set();
    co_await t.wait();  // on its own loop it is awaited as ever
    CHECK(t.done());
  });
}
