// The tries of a fetch: which failures are tried again, the pause before the
// next try, and how long each try may take. Pure: no clock read, no I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "asyncfetch/wire/fetch_error.hpp"

namespace asyncfetch {

// A try is tried again when it failed before a usable response (no
// connection, a reset or garbage, its own timeout) or when the answer was
// 429, 502, 503 or 504 (`status`, when there is no error).
bool retryable(std::optional<FetchError> error, int status) noexcept;
bool retryable_status(int status) noexcept;

// Retry-After in seconds ("120"); nullopt for anything else, including the
// HTTP-date form, which servers that ask us to come back rarely send.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) noexcept;

// A value in [lo, hi], for the jitter of the backoff.
using Jitter = long (*)(long lo, long hi);
// Uniform, from a generator of the calling thread's own.
long random_jitter(long lo, long hi);

// The pause after `attempts` tries (>= 1) before the next one: 100 ms doubled
// with each try made, at most 2 s, then a value from its upper half (jitter,
// so that many clients failing at once do not come back at once); the
// server's Retry-After instead when that is longer.
std::chrono::milliseconds backoff(unsigned attempts, std::optional<std::chrono::milliseconds> retry_after,
                                  Jitter jitter = random_jitter);

// When a try started at `now` must end: at the URL's deadline, or sooner when
// the request caps each try (`try_timeout`). The URL's time is not shared out
// between tries: a healthy upstream that is merely slow would then time out on
// every try, and retries would turn it into a failure.
std::chrono::steady_clock::time_point try_deadline(std::chrono::steady_clock::time_point now,
                                                   std::chrono::steady_clock::time_point url_deadline,
                                                   std::optional<std::chrono::milliseconds> try_timeout) noexcept;

}  // namespace asyncfetch
