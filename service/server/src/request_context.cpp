#include "request_context.hpp"

#include <iterator>
#include <string_view>

#include "asyncfetch/wire/request_id.hpp"

namespace asyncfetch {

namespace {

// The value of a field the request has exactly once, else "".
std::string_view only_value(const Request& req, std::string_view name) {
  const auto [first, last] = req.equal_range(name);
  if (first == last || std::next(first) != last) return {};
  return {first->value().data(), first->value().size()};
}

}  // namespace

RequestContext request_context(const Request& req) {
  RequestContext c;
  const auto parent = parse_traceparent(only_value(req, "traceparent"));
  c.trace = parent ? *parent : start_trace();
  c.tag.request_id = request_id_for(only_value(req, "X-Request-Id"));
  c.tag.trace_id = trace_id_hex(c.trace);
  return c;
}

}  // namespace asyncfetch
