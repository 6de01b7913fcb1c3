// What Asio itself costs under the runtime's primitives, and prototypes of
// cheaper paths (see bench/README.md, "Where the time goes"). Boost.Asio only,
// no runtime: each benchmark runs one io_context on one thread.
//
//   post/...            co_await asio::post(ex, use_awaitable) with the
//                       type-erased any_io_executor (the runtime's Executor)
//                       and with the concrete io_context::executor_type
//   co_spawn+await/...  co_await co_spawn(ex, trivial(), use_awaitable)
//   plain handler post  a non-coroutine handler re-posting itself: the floor
//                       of one loop turn
//   direct yield ...    a prototype yield that detaches the awaitable thread
//                       and executes its resumption on the io_context directly
//                       (Asio detail API, Boost 1.81), without use_awaitable's
//                       initiate frame, work_dispatcher and executor conversions
#include <benchmark/benchmark.h>

#include <boost/asio.hpp>
namespace asio = boost::asio;
using IoEx = asio::io_context::executor_type;
using AnyEx = asio::any_io_executor;
template <class Ex> using Aw = asio::awaitable<void, Ex>;

template <class Ex> asio::awaitable<int, Ex> trivial() { co_return 1; }

template <class Ex> Aw<Ex> post_loop(benchmark::State& s) {
  auto ex = co_await asio::this_coro::executor;
  for (auto _ : s) co_await asio::post(ex, asio::use_awaitable_t<Ex>{});
}
template <class Ex> Aw<Ex> spawn_loop(benchmark::State& s) {
  auto ex = co_await asio::this_coro::executor;
  for (auto _ : s) benchmark::DoNotOptimize(co_await asio::co_spawn(ex, trivial<Ex>(), asio::use_awaitable_t<Ex>{}));
}
template <class Ex> Aw<Ex> spawn_detached_loop(benchmark::State& s) {
  auto ex = co_await asio::this_coro::executor;
  for (auto _ : s) { asio::co_spawn(ex, trivial<Ex>(), asio::detached); co_await asio::post(ex, asio::use_awaitable_t<Ex>{}); }
}
template <class Ex, Aw<Ex> (*F)(benchmark::State&)>
void BM(benchmark::State& s) {
  asio::io_context ctx(1);
  asio::co_spawn(Ex(ctx.get_executor()), F(s), asio::detached);
  ctx.run();
}
BENCHMARK(BM<asio::any_io_executor, post_loop<asio::any_io_executor>>)->Name("post/any_io_executor");
BENCHMARK(BM<IoEx, post_loop<IoEx>>)->Name("post/io_context::executor_type");
BENCHMARK(BM<asio::any_io_executor, spawn_loop<asio::any_io_executor>>)->Name("co_spawn+await/any_io_executor");
BENCHMARK(BM<IoEx, spawn_loop<IoEx>>)->Name("co_spawn+await/io_context::executor_type");
BENCHMARK(BM<asio::any_io_executor, spawn_detached_loop<asio::any_io_executor>>)->Name("co_spawn_detached+post/any_io_executor");
BENCHMARK(BM<IoEx, spawn_detached_loop<IoEx>>)->Name("co_spawn_detached+post/io_context::executor_type");

// The scheduler floor: a plain handler that re-posts itself.
struct Repost { asio::io_context* c; benchmark::State* s; void operator()() const { if (s->KeepRunning()) asio::post(*c, *this); } };
void BM_plain(benchmark::State& s) { asio::io_context ctx(1); asio::post(ctx, Repost{&ctx, &s}); ctx.run(); }
BENCHMARK(BM_plain)->Name("plain handler post (scheduler floor)");
asio::io_context uctx(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE);
void BM_plain_unsafe(benchmark::State& s) { uctx.restart(); asio::post(uctx, Repost{&uctx, &s}); uctx.run(); }
BENCHMARK(BM_plain_unsafe)->Name("plain handler post, CONCURRENCY_HINT_UNSAFE");
// Prototype of a runtime-owned yield: detach the awaitable thread and execute
// its handler straight on the io_context (no initiate coroutine frame, no
// work_dispatcher, no any_io_executor require/prefer round trip).
template <class Ex>
struct FastYield {
  asio::io_context* ctx;
  asio::detail::awaitable_thread<Ex>* operator()(asio::detail::awaitable_frame_base<Ex>* frame) const {
    typename asio::detail::awaitable_async_op_handler<void(), Ex>::result_type r;
    asio::detail::awaitable_async_op_handler<void(), Ex> h(frame->detach_thread(), r);
    asio::require(ctx->get_executor(), asio::execution::blocking.never).execute(std::move(h));
    return nullptr;
  }
};
asio::io_context* g_ctx;
template <class Ex> asio::awaitable<void, Ex> fast_loop(benchmark::State& s) {
  for (auto _ : s) co_await FastYield<Ex>{g_ctx};
}
// The same wrapped in a coroutine of its own (what runtime::yield() would be).
template <class Ex> asio::awaitable<void, Ex> fast_yield() { co_await FastYield<Ex>{g_ctx}; }
template <class Ex> asio::awaitable<void, Ex> fast_fn_loop(benchmark::State& s) {
  for (auto _ : s) co_await fast_yield<Ex>();
}
template <class Ex, asio::awaitable<void, Ex> (*F)(benchmark::State&)>
void BMG(benchmark::State& s) {
  asio::io_context ctx(1);
  g_ctx = &ctx;
  asio::co_spawn(Ex(ctx.get_executor()), F(s), asio::detached);
  ctx.run();
}
BENCHMARK(BMG<AnyEx, fast_loop<AnyEx>>)->Name("direct yield awaitable/any_io_executor");
BENCHMARK(BMG<IoEx, fast_loop<IoEx>>)->Name("direct yield awaitable/io_context::executor_type");
BENCHMARK(BMG<AnyEx, fast_fn_loop<AnyEx>>)->Name("yield() coroutine wrapping it/any_io_executor");
BENCHMARK(BMG<IoEx, fast_fn_loop<IoEx>>)->Name("yield() coroutine wrapping it/io_context::executor_type");
BENCHMARK_MAIN();
