#include <catch2/catch.hpp>

#include "runtime/runtime.hpp"

using namespace std::chrono_literals;

namespace {
runtime::Task<int> answer() {
  co_await runtime::sleep(1ms);
  co_return 42;
}
}  // namespace

TEST_CASE("run returns the value of the main task") {
  CHECK(runtime::run(answer()) == 42);
}

TEST_CASE("gather keeps argument order") {
  auto main = []() -> runtime::Task<std::tuple<int, int>> { co_return co_await runtime::gather(answer(), answer()); };
  auto [a, b] = runtime::run(main());
  CHECK(a == 42);
  CHECK(b == 42);
}
