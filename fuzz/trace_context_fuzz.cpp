// bytes -> parse_traceparent, and X-Request-Id. A parsed context formats to a
// canonical version-00 value that parses back to itself; for a version-00
// input that value is the input without its surrounding blanks. A child keeps
// the trace id and flags. request_id_for keeps exactly the sane values.
#include <cstdint>
#include <string>
#include <string_view>

#include "asyncfetch/wire/request_id.hpp"
#include "asyncfetch/wire/trace_context.hpp"
#include "fuzz_check.hpp"

using namespace asyncfetch;

namespace {

bool lower_hex(std::string_view s) { return s.find_first_not_of("0123456789abcdef") == std::string_view::npos; }

std::string_view trim_blanks(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

void check_traceparent(std::string_view input) {
  const auto c = parse_traceparent(input);
  if (!c) return;
  const std::string formatted = format_traceparent(*c);
  FUZZ_CHECK(formatted.size() == 55);
  FUZZ_CHECK(formatted.starts_with("00-") && formatted[35] == '-' && formatted[52] == '-');
  FUZZ_CHECK(lower_hex(formatted.substr(3, 32)) && lower_hex(formatted.substr(36, 16)) &&
             lower_hex(formatted.substr(53)));
  FUZZ_CHECK(formatted.substr(3, 32) != std::string(32, '0'));
  FUZZ_CHECK(formatted.substr(36, 16) != std::string(16, '0'));
  FUZZ_CHECK(trace_id_hex(*c) == formatted.substr(3, 32));
  const auto again = parse_traceparent(formatted);
  FUZZ_CHECK(again && *again == *c);

  const std::string_view v = trim_blanks(input);
  FUZZ_CHECK(v.size() >= 55 && v.substr(3, 49) == std::string_view(formatted).substr(3, 49));
  if (v.starts_with("00")) FUZZ_CHECK(v == formatted);

  const TraceContext child = child_of(*c);
  FUZZ_CHECK(child.trace_id == c->trace_id && child.flags == c->flags && child.parent_id != c->parent_id);
}

void check_request_id(std::string_view input) {
  bool sane = !input.empty() && input.size() <= max_request_id_length;
  for (char ch : input) sane = sane && ch > ' ' && ch < 0x7f;
  FUZZ_CHECK(is_sane_request_id(input) == sane);
  const std::string id = request_id_for(input);
  FUZZ_CHECK(is_sane_request_id(id));
  if (sane) FUZZ_CHECK(id == input);
  else FUZZ_CHECK(id.size() == 32 && lower_hex(id));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_traceparent(input);
  check_request_id(input);
  return 0;
}
