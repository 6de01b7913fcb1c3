#include "retry_policy.hpp"

#include <algorithm>
#include <charconv>
#include <random>

namespace asyncfetch {

bool retryable_status(int status) noexcept { return status == 429 || status == 502 || status == 503 || status == 504; }

bool retryable(std::optional<FetchError> error, int status) noexcept {
  if (!error) return retryable_status(status);
  return *error == FetchError::connect_failed || *error == FetchError::protocol_error || *error == FetchError::timeout;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view v) noexcept {
  if (v.empty() || v.size() > 6 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  unsigned long seconds = 0;
  std::from_chars(v.data(), v.data() + v.size(), seconds);  // at most 6 digits: cannot overflow
  return std::chrono::milliseconds(seconds * 1000);
}

// Not inline in a coroutine: a thread_local there is initialised on the thread
// that first runs the declaration, but the coroutine may resume on another
// loop thread, whose copy was never initialised (a zero minstd_rand state makes
// the distribution spin forever). In a plain function each call initialises
// its own thread's copy.
long random_jitter(long lo, long hi) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  return std::uniform_int_distribution<long>(lo, hi)(rng);
}

std::chrono::milliseconds backoff(unsigned attempts, std::optional<std::chrono::milliseconds> retry_after,
                                  Jitter jitter) {
  constexpr long first = 100, most = 2000;
  const long full = attempts > 5 ? most : std::min(most, first << (std::max(attempts, 1u) - 1));
  auto pause = std::chrono::milliseconds(jitter(full / 2, full));
  if (retry_after) pause = std::max(pause, *retry_after);
  return pause;
}

std::chrono::steady_clock::time_point try_deadline(std::chrono::steady_clock::time_point now,
                                                   std::chrono::steady_clock::time_point url_deadline,
                                                   std::optional<std::chrono::milliseconds> try_timeout) noexcept {
  if (!try_timeout || now + *try_timeout >= url_deadline) return url_deadline;
  return now + *try_timeout;
}

}  // namespace asyncfetch
