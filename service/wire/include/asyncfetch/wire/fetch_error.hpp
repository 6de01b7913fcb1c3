// Why a fetch failed: the API's error codes. The enum is used everywhere
// inside; to_string gives the code as the result JSON, the logs and the
// metrics spell it.
#pragma once

#include <string_view>

namespace asyncfetch {

enum class FetchError {
  invalid_url,     // not an absolute http(s) URL
  blocked,         // every address of the host is refused by the egress policy
  dns_failed,      // the name did not resolve
  connect_failed,  // no connection could be made (refused, unreachable, connect timeout)
  tls_failed,      // the TLS handshake or the certificate check failed
  timeout,         // the time allowed ran out (the URL's timeout_ms, or its try's share of it)
  too_large,       // the body passed max_body_bytes
  protocol_error,  // not HTTP, a reset or failed write mid-exchange, too many or bad redirects
  cancelled,       // the fetch was cancelled (its client went away, or a drain cut it short)
};

// "invalid_url", "blocked", ...: the enumerator's name.
std::string_view to_string(FetchError e) noexcept;

}  // namespace asyncfetch
