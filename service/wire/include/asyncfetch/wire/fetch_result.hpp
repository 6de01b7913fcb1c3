// What fetching came to: one URL's FetchResult and one /fetch request's
// summary, as the fetch client produces them and the result JSON renders them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "asyncfetch/wire/fetch_error.hpp"

namespace asyncfetch {

struct FetchResult {
  std::string url;                 // as given, its credentials masked
  std::optional<std::string> id;   // the item's, when it has one
  bool ok = false;             // a response arrived with status < 400
  std::optional<int> status;   // final status after redirects; none when no response came
  std::uint64_t bytes = 0;     // body bytes of the final response
  double elapsed_ms = 0;       // all tries
  unsigned attempts = 0;
  std::optional<FetchError> error;   // none when a whole response arrived, whatever its status
  std::string detail;                // a human hint for the error (logged, not part of the API)
  std::optional<std::string> body;   // with include_body
  bool truncated = false;            // body cut at max_body_bytes
  const char* http_version = nullptr;  // "1.1" or "2" when a response came
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
