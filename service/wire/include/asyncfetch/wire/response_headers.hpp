// A response's header fields as a result reports them (include_headers):
// names lower-cased, in the order each name first came, the values of a name
// that came more than once joined with ", " in the order they came.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace asyncfetch {

using ResponseHeaders = std::vector<std::pair<std::string, std::string>>;

class ResponseHeadersBuilder {
 public:
  void add(std::string_view name, std::string_view value);
  ResponseHeaders take() { return std::move(fields_); }

 private:
  ResponseHeaders fields_;
  // Where each name is in fields_: a hostile upstream can send thousands of
  // fields within the header limit, and a search per field would be quadratic.
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace asyncfetch
