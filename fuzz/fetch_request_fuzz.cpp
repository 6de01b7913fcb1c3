// bytes -> parse_fetch_request (the built-in configuration's rules) ->
// error_body or a rendered /fetch answer (items' ids, URLs masked). Nothing may throw, every JSON written
// must parse back, and an accepted job must respect every documented bound.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "asyncfetch/wire/credentials.hpp"
#include "asyncfetch/wire/fetch_request.hpp"
#include "asyncfetch/wire/result_json.hpp"
#include "asyncfetch/wire/url.hpp"
#include "fuzz_check.hpp"

using namespace asyncfetch;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const FetchRequestRules rules{1000, 256, 8, std::chrono::milliseconds(10000)};
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_fetch_request(body, rules);

  if (auto* e = std::get_if<ApiError>(&parsed)) {
    FUZZ_CHECK(e->status == 400);
    FUZZ_CHECK(e->code == "invalid_json" || e->code == "invalid_field");
    if (e->code == "invalid_field") FUZZ_CHECK(!e->message.empty() && e->message[0] == '"');  // names the field
    const auto j = nlohmann::json::parse(error_body(*e));  // throws (a crash here) if not valid JSON
    FUZZ_CHECK(j.at("error").at("message").get<std::string>() == e->message);
    return 0;
  }

  const FetchJob& job = std::get<FetchJob>(parsed);
  FUZZ_CHECK(!job.urls.empty() && job.urls.size() <= rules.max_urls);
  FUZZ_CHECK(job.concurrency >= 1 && job.concurrency <= rules.max_concurrency);
  FUZZ_CHECK(job.timeout.count() >= 1 && job.timeout.count() <= 600000);
  FUZZ_CHECK(job.retries <= 5);
  FUZZ_CHECK(job.per_host_concurrency <= rules.max_concurrency);
  FUZZ_CHECK(!job.try_timeout || (job.try_timeout->count() >= 1 && job.try_timeout->count() <= 600000));
  FUZZ_CHECK(!job.hedge_after || (job.hedge_after->count() >= 1 && job.hedge_after->count() <= 600000));
  FUZZ_CHECK(!job.hedge_after || method_may_be_hedged(job.method));
  FUZZ_CHECK(job.headers.size() <= 64);
  auto check_headers = [](const Headers& headers) {
    for (const auto& [name, value] : headers) {
      FUZZ_CHECK(!name.empty());
      for (unsigned char c : name) FUZZ_CHECK(c > 0x20 && c < 0x7f && c != ':');
      for (unsigned char c : value) FUZZ_CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
    }
  };
  check_headers(job.headers);
  FUZZ_CHECK(!job.body || method_sends_body(job.method));
  FUZZ_CHECK(job.items.empty() || job.items.size() == job.urls.size());
  for (const FetchItem& item : job.items) {
    const std::string& method = item.method ? *item.method : job.method;
    FUZZ_CHECK(!(item.body || job.body) || method_sends_body(method));
    FUZZ_CHECK(!job.hedge_after || method_may_be_hedged(method));
    FUZZ_CHECK(!item.id || item.id->size() <= 1024);
    if (item.headers) {
      FUZZ_CHECK(item.headers->size() <= 128);  // the request's 64 and the item's 64
      check_headers(*item.headers);
    }
  }

  // Render an answer as the service would: results for some URLs, others
  // missing (cancelled), the raw input as an (arbitrary bytes) body.
  std::vector<std::optional<FetchResult>> results(job.urls.size());
  FanOutSummary summary;
  summary.total = job.urls.size();
  summary.concurrency = job.concurrency;
  for (std::size_t i = 0; i < job.urls.size(); ++i) {
    if (i % 3 == 2) continue;
    FetchResult r;
    r.url = job.urls[i];
    mask_credentials(r.url);
    if (const FetchItem* item = job.item(i)) r.id = item->id;
    if (auto u = parse_url(job.urls[i])) {
      r.ok = i % 2 == 0;
      r.status = r.ok ? 200 : 503;
      r.bytes = size;
      r.body = std::string(body.substr(i % (size + 1)));
      r.truncated = i % 4 == 0;
      r.wire_bytes = size / 2;
      r.http_version = HttpVersion::http_1_1;
      r.content_encoding = std::string(body.substr(0, i % 7));
      r.headers = ResponseHeaders{{std::string(body.substr(0, i % 5)), std::string(body.substr(i % (size + 1)))}};
      r.timings = FetchTimings{std::nullopt, 1.0, std::nullopt, static_cast<double>(size), 2.5};
      ++(r.ok ? summary.succeeded : summary.failed);
    } else {
      r.error = FetchError::invalid_url;
      ++summary.failed;
    }
    r.elapsed_ms = static_cast<double>(size) * 1.5;
    r.attempts = job.retries + 1;
    results[i] = std::move(r);
  }
  const ResultFields fields{job.include_body, job.include_headers, job.include_timings};
  const std::string out = fetch_response(job, results, summary, fields);
  const auto j = nlohmann::json::parse(out);
  FUZZ_CHECK(j.at("results").size() == job.urls.size());
  return 0;
}
