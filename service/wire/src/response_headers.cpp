#include "asyncfetch/wire/response_headers.hpp"

namespace asyncfetch {

void ResponseHeadersBuilder::add(std::string_view name, std::string_view value) {
  std::string key(name);
  for (char& c : key)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  const auto [it, fresh] = index_.try_emplace(std::move(key), fields_.size());
  if (fresh) {
    fields_.emplace_back(it->first, value);
  } else {
    fields_[it->second].second.append(", ").append(value);
  }
}

}  // namespace asyncfetch
