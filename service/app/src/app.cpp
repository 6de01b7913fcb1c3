#include "asyncfetch/app/app.hpp"

#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <optional>

#include "asyncfetch/fetch/fan_out.hpp"
#include "asyncfetch/fetch/fetcher.hpp"
#include "asyncfetch/server/api_server.hpp"
#include "asyncfetch/telemetry/log.hpp"
#include "asyncfetch/telemetry/stats.hpp"
#include "asyncfetch/wire/egress_policy.hpp"
#include "memory_trim.hpp"
#include "runtime/cancellation.hpp"
#include "runtime/create_task.hpp"
#include "runtime/event.hpp"

namespace asyncfetch {

namespace {

// Every warm-up URL must answer (status < 400), with retries, within timeout_ms.
// A try may take all that is left of it (as a /fetch without try_timeout_ms):
// the retries are there for an upstream that refuses or answers 503 while it
// starts, not to cut a slow one short.
runtime::Task<bool> warm_up(const Config& config, Fetcher& fetcher, runtime::Event& done) {
  struct SetOnExit {
    runtime::Event& e;
    ~SetOnExit() { e.set(); }
  } set_on_exit{done};
  FetchOptions o;
  o.retries = 3;
  o.timeout = std::chrono::milliseconds(config.timeout_ms);
  for (const auto& url : config.warmup_urls) {
    FetchResult r;
    co_await fetcher.fetch(url, o, r);
    if (!r.ok) {
      log::error("start-up failed: warm-up URL did not answer",
                 {{"url", r.url},
                  {"error", r.error ? std::string(to_string(*r.error)) : "status " + std::to_string(r.status.value_or(0))},
                  {"detail", r.detail}, {"attempts", r.attempts}});
      co_return false;
    }
    log::info("warm-up fetched", {{"url", r.url}, {"status", *r.status}, {"ms", r.elapsed_ms}});
  }
  co_return true;
}

// Cancels `task` and waits for it to end. Its cancellation is the expected
// end; any other failure is logged as `what` failed.
runtime::Task<void> cancel_and_wait(runtime::TaskHandle<void>& task, const char* what) {
  task.cancel();
  try {
    co_await task.wait();
  } catch (const std::exception& e) {
    if (!runtime::is_cancellation(e)) log::error(std::string(what) + " failed", {{"what", e.what()}});
  }
}

}  // namespace

runtime::Task<int> run_service(const Config& config) {
  Stats stats;
  Fetcher fetcher(config, EgressPolicy(config.allow_cidrs), stats);
  FanOut fan_out(config, fetcher, stats);
  runtime::Event ready;
  ApiServer server(config, fan_out, stats, ready);

  // Signals first: a SIGTERM during warm-up is honoured too. `wake` is set by
  // a signal or by the end of the warm-up, whichever comes first.
  boost::asio::signal_set signals(co_await boost::asio::this_coro::executor, SIGINT, SIGTERM);
  runtime::Event stop;
  runtime::Event wake;
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    log::info("signal received; draining", {{"signal", sig}});
    stop.set();
    wake.set();
  });

  std::uint16_t port;
  try {
    port = server.listen(co_await boost::asio::this_coro::executor);
  } catch (const std::exception& e) {
    log::error("start-up failed", {{"error", e.what()}});
    co_return 1;
  }
  auto serving = runtime::create_task(server.serve());
  log::info("listening", {{"address", config.listen_address}, {"port", port}});

  auto warm = runtime::create_task(warm_up(config, fetcher, wake));
  co_await wake.wait();
  if (stop.is_set()) warm.cancel();
  bool warmed = false;
  try {
    warmed = co_await warm.wait();
  } catch (const std::exception& e) {
    if (!runtime::is_cancellation(e)) throw;
  }
  if (!warmed && !stop.is_set()) {
    co_await cancel_and_wait(serving, "accept loop");
    co_return 1;
  }
  std::optional<runtime::TaskHandle<void>> trimming;
  if (!stop.is_set()) {
    if (config.memory_trim_ms > 0) {
      trimming = runtime::create_task(trim_memory_when_quiet(stats, std::chrono::milliseconds(config.memory_trim_ms)));
    }
    ready.set();
    log::info("ready", {{"port", port}, {"warmup_urls", config.warmup_urls.size()}});
    co_await stop.wait();
  }

  // Drain: not ready any more, stop accepting, let requests finish.
  ready.clear();
  co_await cancel_and_wait(serving, "accept loop");
  co_await server.drain(std::chrono::milliseconds(config.drain_timeout_ms));
  fetcher.close_idle();
  if (trimming) co_await cancel_and_wait(*trimming, "memory trim");  // it reads `stats`: ended before `stats` goes
  signals.cancel();
  log::info("stopped");
  co_return 0;
}

}  // namespace asyncfetch
