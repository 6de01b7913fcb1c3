// The body of POST /fetch, validated: JSON in, a FetchJob or an ApiError out.
// Pure (no I/O), so it can be unit-tested and fuzzed on its own.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "asyncfetch/wire/trace_context.hpp"

namespace asyncfetch {

using Headers = std::vector<std::pair<std::string, std::string>>;

// An entry of `urls` given as an object: what it sets over the request's fields.
struct FetchItem {
  std::optional<std::string> id;      // echoed in the item's result
  std::optional<std::string> method;
  std::optional<Headers> headers;     // the request's headers with the item's merged over them
  std::optional<std::string> body;
};

// What a client asked for, every field checked and defaulted.
struct FetchJob {
  std::vector<std::string> urls;  // as given; each is parsed (and may fail) per URL
  // One per URL when any entry of `urls` was an object (a string's is empty),
  // else none: a request of plain URLs carries nothing per URL.
  std::vector<FetchItem> items;
  unsigned concurrency = 0;
  unsigned per_host_concurrency = 0;  // 0: no per-origin limit
  std::chrono::milliseconds timeout{0};
  std::optional<std::chrono::milliseconds> try_timeout;  // none: a try may take all of `timeout`
  std::optional<std::chrono::milliseconds> hedge_after;  // none: no hedging
  std::string method = "GET";
  Headers headers;
  std::optional<std::string> body;
  bool include_body = false;
  unsigned retries = 0;
  bool decode = true;  // offer and undo content codings
  bool include_headers = false;
  bool include_timings = false;

  // From the request's head, not its body: the API server sets them.
  std::optional<TraceContext> trace;  // each outbound fetch carries a child of it
  std::string request_id;             // X-Request-Id, for the request's log lines

  // URL i's item, or nullptr when it was a plain string.
  const FetchItem* item(std::size_t i) const { return items.empty() ? nullptr : &items[i]; }
};

// What the configuration allows a /fetch body (max_urls_per_request,
// max_concurrency_per_request) and what the body gets for the fields it leaves
// out (default_concurrency and default_per_host_concurrency, cut to the
// maximum; timeout_ms).
struct FetchRequestRules {
  unsigned max_urls = 0;
  unsigned max_concurrency = 0;
  unsigned default_concurrency = 0;
  std::chrono::milliseconds default_timeout{0};
  unsigned default_per_host_concurrency = 0;  // 0: none
};

// POST, PUT, PATCH and DELETE send a `body`; with any other method one is refused.
bool method_sends_body(std::string_view method) noexcept;
// GET, HEAD and OPTIONS may be sent twice (hedge_after_ms): they change nothing
// at the server, so the try that loses does no harm.
bool method_may_be_hedged(std::string_view method) noexcept;

// `base` with `over` merged over it: a field of `over` replaces every field of
// `base` of the same name, in any case; the others keep their order, `over`'s
// come after them.
Headers merge_headers(const Headers& base, const Headers& over);

// An error the client caused: HTTP status, a machine code and a message that
// names the field.
struct ApiError {
  int status = 400;
  std::string code;     // "invalid_json", "invalid_field", ...
  std::string message;  // e.g. `"concurrency": must be an integer 1..256`
};

std::variant<FetchJob, ApiError> parse_fetch_request(std::string_view body, const FetchRequestRules& rules);

// `{"error":{"code":...,"message":...}}`
std::string error_body(const ApiError& e);

}  // namespace asyncfetch
