#include "asyncfetch/wire/request_id.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "random_bytes.hpp"

namespace asyncfetch {

bool is_sane_request_id(std::string_view value) noexcept {
  return !value.empty() && value.size() <= max_request_id_length &&
         std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

std::string generate_request_id() {
  std::array<std::uint8_t, 16> bytes;
  ids::fill_random(bytes);
  std::string id;
  id.reserve(2 * bytes.size());
  ids::append_hex(id, bytes);
  return id;
}

std::string request_id_for(std::string_view client_value) {
  return is_sane_request_id(client_value) ? std::string(client_value) : generate_request_id();
}

}  // namespace asyncfetch
