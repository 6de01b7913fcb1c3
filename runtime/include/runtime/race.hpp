// race: the first of several tasks to finish wins (Boost.Cobalt's race, Tokio's
// select!, asyncio.wait(FIRST_COMPLETED) with the rest cancelled).
//
//   std::variant<std::string, runtime::None> r = co_await runtime::race(fetch(primary), timeout_after(1s));
//   auto [index, body] = co_await runtime::race(std::move(attempts));   // over a vector
//
// The tasks start at the loop's next turn, in argument order. On one loop
// thread they start in that one turn, one after another, and once one has
// finished those after it are not started: they never run (an asyncio task
// cancelled before it starts never runs; Tokio's select! does not poll the
// other branches when one is ready at once). With several loop threads each
// starts on a strand of its own and runs until it is cancelled. The first to
// finish wins, with its value or its exception: a fast failure is not held back
// waiting for a success (Asio's `a || b` would wait). The others are cancelled
// and race returns (or rethrows the winner's exception) only once they have
// finished, so no task outlives the call. What the losers leave, a value that
// came too late or an exception, is dropped. Cancelling the task in race
// cancels them all, waits for them, and throws the cancellation error.
//
// The variadic form returns a std::variant of the tasks' values in argument
// order (void becomes None) whose index() says which task won, even when the
// types coincide: one shape for every call, as Cobalt and Asio's operators
// have it. The vector form returns the winner's index and value. A race of
// no tasks throws std::invalid_argument (there is no first to wait for).
//
// The tasks run without a task state each (detail::ChildRun, as gather's over a
// vector), on one loop thread or, with several, each on a strand of its own.
// Each child's bottom frame awaits its task directly (the variadic form puts
// the value into the variant there, without a frame of its own) and takes what
// the task threw from the task's frame: a throw costs about a microsecond, and
// a cancelled loser's unwinding costs one, its own, not one more per frame.
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/detail/child_run.hpp"
#include "runtime/detail/direct_wait.hpp"
#include "runtime/task.hpp"

namespace runtime {

namespace detail {

// Starts the race's children (tasks must not be empty: the caller checks).
template <class T>
std::shared_ptr<ChildRun<T>> start_race(std::vector<Task<T>> tasks) {
  auto run = std::make_shared<ChildRun<T>>(tasks.size(), ChildRun<T>::Mode::first_wins);
  run->start(std::move(tasks));
  return run;
}

// After join(): the winner's index, the losers' leftovers dropped.
template <class T>
std::size_t finish_race(ChildRun<T>& run, std::size_t n) noexcept {
  const std::size_t w = run.winner();
  for (std::size_t i = 0; i < n; ++i)
    if (i != w) run.drop(i);
  return w;
}

// The variadic race's run: it holds the racers until their children start.
// Child I's bottom frame awaits racer I and puts its value into the variant V
// as alternative I (None for void), without a frame of its own.
template <class V, class... A>
class RaceRun final : public ChildRun<V> {
  using Base = ChildRun<V>;

 public:
  explicit RaceRun(A... a) : Base(sizeof...(A), Base::Mode::first_wins), bodies_(std::move(a)...) {}

  void start() { this->start_with(&make<std::index_sequence_for<A...>>); }

 private:
  template <std::size_t I>
  struct PutAt {
    template <class... U>
    void operator()(typename Base::Slot& slot, U&&... u) const {
      if constexpr (sizeof...(U) == 0) {
        slot.emplace(std::in_place_index<I>, None{});
      } else {
        slot.emplace(std::in_place_index<I>, std::forward<U>(u)...);
      }
    }
  };

  template <class Seq>
  static ThreadBody make(Base& base, std::size_t i) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      using Make = ThreadBody (*)(RaceRun&);
      static constexpr Make table[] = {+[](RaceRun& run) {
        return Base::make_body(run, I, std::get<I>(run.bodies_), PutAt<I>{});
      }...};
      return table[i](static_cast<RaceRun&>(base));
    }(Seq{});
  }

  std::tuple<A...> bodies_;
};

}  // namespace detail

template <detail::TaskValue T>
Task<std::pair<std::size_t, value_t<T>>> race(std::vector<Task<T>> tasks) {
  if (tasks.empty()) throw std::invalid_argument("runtime::race: no tasks to race");
  const std::size_t n = tasks.size();
  auto run = detail::start_race(std::move(tasks));
  co_await run->join();
  const std::size_t i = detail::finish_race(*run, n);
  co_return std::pair<std::size_t, value_t<T>>(i, run->take(i));
}

// Each argument is a Task or a primitive's Wait (an event's wait(), say).
template <detail::Awaitable... A>
  requires(sizeof...(A) > 0)
Task<std::variant<value_t<detail::await_result_t<A>>...>> race(A... tasks) {
  using V = std::variant<value_t<detail::await_result_t<A>>...>;
  auto run = std::make_shared<detail::RaceRun<V, A...>>(std::move(tasks)...);
  run->start();
  co_await run->join();
  co_return run->take(detail::finish_race(*run, sizeof...(A)));
}

}  // namespace runtime
