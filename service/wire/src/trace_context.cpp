#include "asyncfetch/wire/trace_context.hpp"

#include <algorithm>
#include <span>

#include "random_bytes.hpp"

namespace asyncfetch {
namespace {

// version(2) '-' trace-id(32) '-' parent-id(16) '-' flags(2)
constexpr std::size_t version_00_length = 55;

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper case too: the spec allows only lower-case hex
}

// Exactly out.size() bytes of lower-case hex at the front of s.
bool parse_hex(std::string_view s, std::span<std::uint8_t> out) noexcept {
  if (s.size() < 2 * out.size()) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_digit(s[2 * i]);
    const int lo = hex_digit(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

template <std::size_t N>
bool all_zero(const std::array<std::uint8_t, N>& id) noexcept {
  return std::all_of(id.begin(), id.end(), [](std::uint8_t b) { return b == 0; });
}

template <std::size_t N>
void fill_nonzero(std::array<std::uint8_t, N>& id) {
  do ids::fill_random(id);
  while (all_zero(id));
}

std::string_view trim_blanks(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<TraceContext> parse_traceparent(std::string_view value) {
  const std::string_view v = trim_blanks(value);
  std::uint8_t version = 0;
  if (v.size() < version_00_length || !parse_hex(v, std::span(&version, 1)) || version == 0xff) return std::nullopt;
  // Version 00 is exactly 55 characters; a later one may go on after a '-'.
  const bool fits = version == 0x00 ? v.size() == version_00_length
                                    : v.size() == version_00_length || v[version_00_length] == '-';
  if (!fits) return std::nullopt;
  if (v[2] != '-' || v[35] != '-' || v[52] != '-') return std::nullopt;
  TraceContext c;
  if (!parse_hex(v.substr(3), c.trace_id) || !parse_hex(v.substr(36), c.parent_id) ||
      !parse_hex(v.substr(53), std::span(&c.flags, 1)))
    return std::nullopt;
  if (all_zero(c.trace_id) || all_zero(c.parent_id)) return std::nullopt;
  // A later version's other flags may mean something else there.
  if (version != 0x00) c.flags &= TraceContext::sampled_flag;
  return c;
}

TraceContext start_trace() {
  TraceContext c;
  fill_nonzero(c.trace_id);
  fill_nonzero(c.parent_id);
  return c;
}

TraceContext child_of(const TraceContext& parent) {
  TraceContext c = parent;
  do fill_nonzero(c.parent_id);
  while (c.parent_id == parent.parent_id);
  return c;
}

std::string format_traceparent(const TraceContext& c) {
  std::string s;
  s.reserve(version_00_length);
  s += "00-";
  ids::append_hex(s, c.trace_id);
  s += '-';
  ids::append_hex(s, c.parent_id);
  s += '-';
  ids::append_hex(s, std::span(&c.flags, 1));
  return s;
}

std::string trace_id_hex(const TraceContext& c) {
  std::string s;
  s.reserve(32);
  ids::append_hex(s, c.trace_id);
  return s;
}

}  // namespace asyncfetch
