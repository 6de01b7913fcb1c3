// What fetching came to: one URL's FetchResult and one /fetch request's
// summary, as the fetch client produces them and the result JSON renders them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "asyncfetch/wire/fetch_error.hpp"
#include "asyncfetch/wire/http_version.hpp"
#include "asyncfetch/wire/response_headers.hpp"

namespace asyncfetch {

// Where the final try's time went (include_timings), in ms from its start. A
// phase the try did not go through (DNS for an IP literal, TLS for http, all
// three on a reused connection) is none; so is ttfb when no response head came.
struct FetchTimings {
  std::optional<double> dns_ms;
  std::optional<double> connect_ms;
  std::optional<double> tls_ms;
  std::optional<double> ttfb_ms;  // from the try's start to the first byte of the final response head
  double total_ms = 0;
};

struct FetchResult {
  std::string url;                 // as given, its credentials masked
  std::optional<std::string> id;   // the item's, when it has one
  bool ok = false;             // a response arrived with status < 400
  std::optional<HttpVersion> http_version;  // of the final response; none when no response came
  std::optional<int> status;   // final status after redirects; none when no response came
  std::uint64_t bytes = 0;     // body bytes of the final response, decoded
  std::uint64_t wire_bytes = 0;  // the same body as it arrived (before decoding)
  std::string content_encoding;  // the codings the server applied (normalize_content_encoding); empty: none
  double elapsed_ms = 0;       // all tries
  unsigned attempts = 0;        // tries made, hedges included
  bool hedged = false;          // a hedge was started (hedge_after_ms); shown only when true
  std::optional<FetchError> error;   // none when a whole response arrived, whatever its status
  std::string detail;                // a human hint for the error (logged, not part of the API)
  std::optional<std::string> body;   // with include_body
  bool truncated = false;            // body cut at max_body_bytes
  std::optional<ResponseHeaders> headers;  // with include_headers, when a response came
  std::optional<FetchTimings> timings;     // with include_timings, when a try was made
};

struct FanOutSummary {
  std::size_t total = 0;
  std::size_t succeeded = 0;
  std::size_t failed = 0;
  double elapsed_ms = 0;
  unsigned concurrency = 0;
  std::size_t max_in_flight = 0;
};

}  // namespace asyncfetch
