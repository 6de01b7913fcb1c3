#include "asyncfetch/wire/content_coding.hpp"

#include <cstddef>

namespace asyncfetch {
namespace {

bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignoring_case(std::string_view a, std::string_view lower_case) noexcept {
  if (a.size() != lower_case.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower_case[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view to_string(ContentCoding coding) noexcept {
  switch (coding) {
    case ContentCoding::gzip:
      return "gzip";
    case ContentCoding::deflate:
      return "deflate";
    case ContentCoding::br:
      return "br";
    case ContentCoding::zstd:
      return "zstd";
  }
  return "unknown";
}

std::string_view accept_encoding() noexcept { return "gzip, deflate, br, zstd"; }

std::optional<std::vector<ContentCoding>> parse_content_encoding(std::string_view value) {
  std::vector<ContentCoding> codings;
  while (true) {
    const std::size_t comma = value.find(',');
    const std::string_view token = trim(value.substr(0, comma));
    if (token.empty() || equals_ignoring_case(token, "identity")) {
      // RFC 9110 §5.6.1: a recipient ignores empty list elements.
    } else if (equals_ignoring_case(token, "gzip") || equals_ignoring_case(token, "x-gzip")) {
      codings.push_back(ContentCoding::gzip);
    } else if (equals_ignoring_case(token, "deflate")) {
      codings.push_back(ContentCoding::deflate);
    } else if (equals_ignoring_case(token, "br")) {
      codings.push_back(ContentCoding::br);
    } else if (equals_ignoring_case(token, "zstd")) {
      codings.push_back(ContentCoding::zstd);
    } else {
      return std::nullopt;
    }
    if (codings.size() > max_content_codings) return std::nullopt;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return codings;
}

std::string normalize_content_encoding(std::string_view value) {
  std::string out;
  while (true) {
    const std::size_t comma = value.find(',');
    const std::string_view token = trim(value.substr(0, comma));
    if (!token.empty() && !equals_ignoring_case(token, "identity")) {
      if (!out.empty()) out += ", ";
      for (char c : token) out += lower(c);
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace asyncfetch
