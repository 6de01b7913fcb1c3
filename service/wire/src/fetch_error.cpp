#include "asyncfetch/wire/fetch_error.hpp"

namespace asyncfetch {

std::string_view to_string(FetchError e) noexcept {
  switch (e) {
    case FetchError::invalid_url: return "invalid_url";
    case FetchError::blocked: return "blocked";
    case FetchError::dns_failed: return "dns_failed";
    case FetchError::connect_failed: return "connect_failed";
    case FetchError::tls_failed: return "tls_failed";
    case FetchError::timeout: return "timeout";
    case FetchError::too_large: return "too_large";
    case FetchError::protocol_error: return "protocol_error";
    case FetchError::cancelled: return "cancelled";
  }
  return "unknown";
}

}  // namespace asyncfetch
