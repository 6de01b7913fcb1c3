// Which answers are redirects, and what a redirect does to the method. Pure.
#pragma once

#include <string_view>

namespace asyncfetch {

inline bool is_redirect(int status) noexcept {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// 303 turns any method into GET; 301 and 302 turn a POST into GET (as browsers
// do); 307 and 308 keep the method.
inline bool redirect_turns_into_get(int status, std::string_view method) noexcept {
  return status == 303 || ((status == 301 || status == 302) && method == "POST");
}

}  // namespace asyncfetch
