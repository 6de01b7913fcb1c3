#include "fetch_handler.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asyncfetch/telemetry/log.hpp"
#include "asyncfetch/wire/fetch_request.hpp"
#include "asyncfetch/wire/result_json.hpp"
#include "disconnect_watch.hpp"
#include "ndjson_stream.hpp"
#include "runtime/cancellation.hpp"
#include "runtime/create_task.hpp"
#include "runtime/queue.hpp"
#include "runtime/timeout.hpp"

namespace asyncfetch {

namespace http = boost::beast::http;

namespace {

// The state of one /fetch request shared with its fan-out task, which may
// outlive the handler's frame when the client leaves mid-way.
struct FetchContext {
  FetchJob job;
  std::vector<std::optional<FetchResult>> results;  // by URL index (one JSON document)
  // NDJSON lines, as they complete; only when streaming (a Queue's deque
  // allocates even while empty). An empty line says the client is gone.
  std::unique_ptr<runtime::Queue<std::string>> lines;
};

// The optional fields of each result, as the request asked for them.
ResultFields result_fields(const FetchJob& job) { return {job.include_body, job.include_headers, job.include_timings}; }

runtime::Task<FanOutSummary> run_fan_out(FanOut& fan_out, std::shared_ptr<FetchContext> ctx) {
  // Named, not written inside the co_await: GCC 12 destroys a capturing lambda
  // temporary of a co_await expression twice.
  FanOut::OnResult on_result = [ctx](std::size_t i, FetchResult&& r) {
    if (ctx->lines) {
      std::string line;
      append_result(line, r, result_fields(ctx->job));
      line += '\n';
      ctx->lines->try_put(std::move(line));  // unbounded: never refuses
    } else {
      ctx->results[i] = std::move(r);
    }
  };
  co_return co_await fan_out.run(ctx->job, std::move(on_result));
}

Reply retry_later(http::status status, std::string code, std::string message) {
  auto r = error_reply(status, std::move(code), std::move(message));
  r.headers.emplace_back(http::field::retry_after, "1");
  return r;
}

// The client left before its answer was complete: its fetches were cancelled,
// and the connection closes.
Sent client_gone(const log::RequestTag& tag, std::size_t urls, std::optional<http::status> begun) {
  log::info("client went away; its fetches were cancelled", log::tagged(tag, {{"urls", urls}}));
  return Sent{begun, Cut::client_gone, false};
}

bool accepts_ndjson(const Request& req) {
  const auto it = req.find(http::field::accept);
  return it != req.end() &&
         std::string_view(it->value().data(), it->value().size()).find("application/x-ndjson") != std::string_view::npos;
}

// One JSON document, written by the session once every fetch has ended.
runtime::Task<Handled> answer_whole(runtime::TaskHandle<FanOutSummary>& fan, const std::shared_ptr<FetchContext>& ctx,
                                    std::optional<FanOut::Ticket>& ticket, boost::beast::tcp_stream& stream,
                                    const RequestContext& context) {
  std::optional<FanOutSummary> summary;
  bool gone = false;
  {
    DisconnectWatch watch(stream.socket(), [fan] { fan.cancel(); });
    try {
      summary = co_await fan.wait();  // when it throws, the task has finished all the same
    } catch (const std::exception& e) {
      if (!runtime::is_cancellation(e) || !watch.gone()) throw;
    }
    gone = watch.gone();
  }
  ticket.reset();  // the fetches are done: their admission share goes back before the answer
  if (gone) co_return client_gone(context.tag, ctx->job.urls.size(), std::nullopt);
  co_return json_reply(http::status::ok, fetch_response(ctx->job, ctx->results, *summary, result_fields(ctx->job)));
}

// NDJSON: the lines are written as the fetches complete. Leaving early (the
// client gone, a failed write, the session cancelled) cancels the fan-out.
runtime::Task<Handled> answer_stream(runtime::TaskHandle<FanOutSummary>& fan, const std::shared_ptr<FetchContext>& ctx,
                                     std::optional<FanOut::Ticket>& ticket, const Request& req,
                                     boost::beast::tcp_stream& stream, std::chrono::milliseconds write_timeout,
                                     const RequestContext& context) {
  struct CancelOnExit {
    runtime::TaskHandle<FanOutSummary>& h;
    ~CancelOnExit() {
      if (!h.done()) h.cancel();
    }
  } cancel_on_exit{fan};
  DisconnectWatch watch(stream.socket(), [fan, ctx] {
    fan.cancel();
    ctx->lines->try_put({});
  });
  const std::size_t urls = ctx->job.urls.size();
  // The 200 went out (or began to): a reply cut short from here on says so.
  auto cut_short = [urls, &context](Cut cut) {
    if (cut == Cut::client_gone) return client_gone(context.tag, urls, http::status::ok);
    return Sent{http::status::ok, cut, false};
  };

  NdjsonStream out(stream, req.version(), req.keep_alive(), write_timeout, context.tag.request_id);
  std::optional<Cut> cut = co_await out.begin();
  for (std::size_t i = 0; !cut && i < urls; ++i) {
    const auto line = co_await ctx->lines->get();
    if (line.empty()) {
      cut = Cut::client_gone;  // the watch's wake-up
    } else {
      cut = co_await out.line(line);
    }
  }
  if (cut) co_return cut_short(*cut);
  std::optional<FanOutSummary> summary;
  try {
    summary = co_await fan.wait();
  } catch (const std::exception& e) {
    if (!runtime::is_cancellation(e) || !watch.gone()) throw;
  }
  if (!summary) co_return cut_short(Cut::client_gone);
  ticket.reset();
  cut = co_await out.end(*summary);
  if (cut) co_return cut_short(*cut);
  // Written whole; a client that left right after it gets its connection closed.
  co_return Sent{http::status::ok, std::nullopt, req.keep_alive() && !watch.gone()};
}

}  // namespace

FetchHandler::FetchHandler(const Config& config, FanOut& fan_out, Stats& stats, runtime::Event& ready,
                           const DrainControl& drain)
    : config_(config),
      rules_{config.max_urls_per_request, config.max_concurrency_per_request, config.default_concurrency,
             std::chrono::milliseconds(config.timeout_ms), config.default_per_host_concurrency},
      fan_out_(fan_out),
      stats_(stats),
      ready_(ready),
      drain_(drain) {}

runtime::Task<Handled> FetchHandler::handle(Request& req, boost::beast::tcp_stream& stream,
                                            const RequestContext& context) {
  if (!ready_.is_set()) {
    try {
      co_await runtime::wait_for(ready_.wait(), std::chrono::milliseconds(config_.ready_wait_ms));
    } catch (const runtime::TimeoutError&) {
      co_return retry_later(http::status::service_unavailable, "not_ready", "the service is starting; retry shortly");
    }
  }
  if (drain_.draining()) {
    auto r = retry_later(http::status::service_unavailable, "draining", "the service is shutting down");
    r.close = true;
    co_return r;
  }
  auto parsed = parse_fetch_request(req.body(), rules_);
  if (auto* e = std::get_if<ApiError>(&parsed)) co_return json_reply(static_cast<http::status>(e->status), error_body(*e));

  auto ctx = std::make_shared<FetchContext>();
  ctx->job = std::move(std::get<FetchJob>(parsed));
  ctx->job.trace = context.trace;
  ctx->job.request_id = context.tag.request_id;
  auto ticket = fan_out_.admit(ctx->job.urls.size());
  if (!ticket) {
    stats_.request_rejected();
    co_return retry_later(http::status::too_many_requests, "overloaded",
                          "too many fetches waiting service-wide (max_queue); retry later");
  }
  stats_.request_started();

  const bool stream_lines = accepts_ndjson(req);
  if (stream_lines) {
    ctx->lines = std::make_unique<runtime::Queue<std::string>>();
  } else {
    ctx->results.resize(ctx->job.urls.size());
  }
  // The fan-out is a task of its own so that the client going away can cancel
  // it (returning its permits) while this handler waits for it.
  auto fan = runtime::create_task(run_fan_out(fan_out_, ctx));
  if (!stream_lines) co_return co_await answer_whole(fan, ctx, ticket, stream, context);
  co_return co_await answer_stream(fan, ctx, ticket, req, stream, std::chrono::milliseconds(config_.idle_timeout_ms),
                                   context);
}

}  // namespace asyncfetch
