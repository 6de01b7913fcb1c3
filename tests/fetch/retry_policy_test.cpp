// The tries of a fetch: which outcomes are tried again, Retry-After, the
// backoff with its jitter, and the deadline each try gets.
#include "retry_policy.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>

using namespace asyncfetch;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {
long lowest(long lo, long) { return lo; }
long highest(long, long hi) { return hi; }
}  // namespace

TEST_CASE("retry: failures before a usable response are tried again, the others not", "[retry]") {
  CHECK(retryable(FetchError::connect_failed, 0));
  CHECK(retryable(FetchError::protocol_error, 0));
  CHECK(retryable(FetchError::timeout, 0));
  for (auto e : {FetchError::invalid_url, FetchError::blocked, FetchError::dns_failed, FetchError::tls_failed,
                 FetchError::too_large, FetchError::cancelled}) {
    INFO(to_string(e));
    CHECK_FALSE(retryable(e, 0));
    CHECK_FALSE(retryable(e, 503));  // the error decides, not a status that came with it
  }
}

TEST_CASE("retry: 429, 502, 503 and 504 are tried again, other statuses not", "[retry]") {
  for (int s : {429, 502, 503, 504}) {
    INFO(s);
    CHECK(retryable_status(s));
    CHECK(retryable(std::nullopt, s));
  }
  for (int s : {200, 204, 301, 400, 404, 408, 500, 501, 505}) {
    INFO(s);
    CHECK_FALSE(retryable_status(s));
    CHECK_FALSE(retryable(std::nullopt, s));
  }
}

TEST_CASE("retry: Retry-After in seconds, anything else ignored", "[retry]") {
  CHECK(parse_retry_after("0") == milliseconds(0));
  CHECK(parse_retry_after("1") == milliseconds(1000));
  CHECK(parse_retry_after("120") == milliseconds(120000));
  CHECK(parse_retry_after("999999") == milliseconds(999999000));
  for (const char* bad : {"", "-1", "+1", "1.5", " 1", "1 ", "abc", "1000000", "0x10",
                          "Wed, 21 Oct 2015 07:28:00 GMT"}) {
    INFO("\"" << bad << "\"");
    CHECK_FALSE(parse_retry_after(bad).has_value());
  }
}

TEST_CASE("retry: the backoff doubles from 100 ms up to 2 s, jittered within its upper half", "[retry]") {
  const long full[] = {100, 200, 400, 800, 1600, 2000, 2000, 2000};
  for (unsigned attempts = 1; attempts <= 8; ++attempts) {
    INFO("after " << attempts << " tries");
    const long f = full[attempts - 1];
    CHECK(backoff(attempts, std::nullopt, lowest) == milliseconds(f / 2));
    CHECK(backoff(attempts, std::nullopt, highest) == milliseconds(f));
    for (int i = 0; i < 50; ++i) {
      const auto b = backoff(attempts, std::nullopt);
      CHECK(b >= milliseconds(f / 2));
      CHECK(b <= milliseconds(f));
    }
  }
  CHECK(backoff(1000, std::nullopt, highest) == milliseconds(2000));
}

TEST_CASE("retry: Retry-After wins when it is longer than the backoff", "[retry]") {
  CHECK(backoff(1, milliseconds(1000), highest) == milliseconds(1000));
  CHECK(backoff(5, milliseconds(1000), highest) == milliseconds(1600));
  CHECK(backoff(1, milliseconds(0), lowest) == milliseconds(50));
}

TEST_CASE("retry: random jitter stays within its bounds", "[retry]") {
  for (int i = 0; i < 200; ++i) {
    const long v = random_jitter(50, 100);
    CHECK(v >= 50);
    CHECK(v <= 100);
  }
  CHECK(random_jitter(7, 7) == 7);
}

TEST_CASE("try deadline: without try_timeout, every try has what is left of the URL's time", "[retry]") {
  const auto now = Clock::now();
  const auto due = now + milliseconds(10000);
  CHECK(try_deadline(now, due, std::nullopt) == due);
  // A later try (after a failure and a backoff) still runs to the URL's deadline:
  // a slow answer is not cut short because retries were allowed.
  const auto later = now + milliseconds(4000);
  CHECK(try_deadline(later, due, std::nullopt) == due);
}

TEST_CASE("try deadline: try_timeout caps each try, never past the URL's deadline", "[retry]") {
  const auto now = Clock::now();
  const auto due = now + milliseconds(10000);
  CHECK(try_deadline(now, due, milliseconds(2500)) == now + milliseconds(2500));
  const auto later = now + milliseconds(4000);
  CHECK(try_deadline(later, due, milliseconds(2500)) == later + milliseconds(2500));
  // Less than try_timeout left: what is left.
  const auto late = now + milliseconds(9000);
  CHECK(try_deadline(late, due, milliseconds(2500)) == due);
  CHECK(try_deadline(now, due, milliseconds(10000)) == due);
  CHECK(try_deadline(now, due, milliseconds(60000)) == due);
}
