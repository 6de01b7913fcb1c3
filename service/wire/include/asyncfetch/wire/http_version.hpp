// The HTTP version a response came over, as results and metrics spell it.
#pragma once

#include <string_view>

namespace asyncfetch {

enum class HttpVersion : unsigned char { http_1_0, http_1_1, http_2 };

// "1.0", "1.1", "2".
constexpr std::string_view to_string(HttpVersion v) noexcept {
  switch (v) {
    case HttpVersion::http_1_0: return "1.0";
    case HttpVersion::http_1_1: return "1.1";
    case HttpVersion::http_2: return "2";
  }
  return "unknown";
}

}  // namespace asyncfetch
