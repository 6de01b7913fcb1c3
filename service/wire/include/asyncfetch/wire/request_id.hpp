// X-Request-Id: the client's when it is sane, else one made here. Either way
// it ends up in a response header and in every log line of the request.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace asyncfetch {

inline constexpr std::size_t max_request_id_length = 128;

// 1..max_request_id_length visible ASCII characters (0x21-0x7e): no blanks,
// no control characters, nothing that would need escaping in a header.
bool is_sane_request_id(std::string_view value) noexcept;

// 32 lower-case hex digits of 16 random bytes (same source as trace ids).
std::string generate_request_id();

// `client_value` when sane, else a generated id; pass "" when none was sent.
std::string request_id_for(std::string_view client_value);

}  // namespace asyncfetch
