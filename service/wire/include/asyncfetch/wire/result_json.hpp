// How results look on the wire: one JSON object per URL, the summary, and the
// whole /fetch answer. Written straight into a string, without a JSON tree per
// result (responses can carry tens of thousands of them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "asyncfetch/wire/fetch_request.hpp"
#include "asyncfetch/wire/fetch_result.hpp"

namespace asyncfetch {

// The fields a request asked for beyond the ones every result has.
struct ResultFields {
  bool body = false;     // include_body: body and truncated
  bool headers = false;  // include_headers: headers
  bool timings = false;  // include_timings: timings
};

// `id` only when the result has one (an item's that set it).
void append_result(std::string& out, const FetchResult& r, const ResultFields& fields);
void append_summary(std::string& out, const FanOutSummary& s);

// {"results":[...],"summary":{...}} of `job`; a missing result (the request
// was cut short) is reported as cancelled, with the URL's id.
std::string fetch_response(const FetchJob& job, std::vector<std::optional<FetchResult>>& results,
                           const FanOutSummary& s, const ResultFields& fields);

}  // namespace asyncfetch
