// Bits of HTTP/1.1 text that the request and reply heads and the URL code
// share.
#pragma once

#include <string>
#include <string_view>

namespace asyncfetch {

// `v` without the optional whitespace (spaces and tabs, RFC 9110 5.6.3) at
// either end.
inline std::string_view trim_ows(std::string_view v) noexcept {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// "Name: value\r\n"
inline void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

}  // namespace asyncfetch
