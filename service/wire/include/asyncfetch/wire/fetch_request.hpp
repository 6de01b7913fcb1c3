// The body of POST /fetch, validated: JSON in, a FetchJob or an ApiError out.
// Pure (no I/O), so it can be unit-tested and fuzzed on its own.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "asyncfetch/wire/trace_context.hpp"

namespace asyncfetch {

// What a client asked for, every field checked and defaulted.
struct FetchJob {
  std::vector<std::string> urls;  // as given; each is parsed (and may fail) per URL
  unsigned concurrency = 0;
  std::chrono::milliseconds timeout{0};
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  bool include_body = false;
  unsigned retries = 0;
  bool decode = true;  // offer and undo content codings
  bool include_headers = false;
  bool include_timings = false;

  // From the request's head, not its body: the API server sets them.
  std::optional<TraceContext> trace;  // each outbound fetch carries a child of it
  std::string request_id;             // X-Request-Id, for the request's log lines
};

// What the configuration allows a /fetch body (max_urls_per_request,
// max_concurrency_per_request) and what the body gets for the fields it leaves
// out (default_concurrency, cut to the maximum; timeout_ms).
struct FetchRequestRules {
  unsigned max_urls = 0;
  unsigned max_concurrency = 0;
  unsigned default_concurrency = 0;
  std::chrono::milliseconds default_timeout{0};
};

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
