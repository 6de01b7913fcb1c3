// The user:password of a URL's userinfo, as HTTP Basic authentication sends
// it (RFC 7617) and as logs may show it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace asyncfetch {

struct Credentials {
  std::string user;      // percent-decoded
  std::string password;  // percent-decoded; may be empty
};

// "user[:password]", percent-encoded as RFC 3986 userinfo; nullopt when a
// %XX is malformed, the user is empty, or a byte could not stand in a URL.
std::optional<Credentials> parse_userinfo(std::string_view userinfo);

// "Basic base64(user:password)"
std::string basic_authorization(const Credentials& c);

// "user:***": what results and logs show instead of the userinfo.
std::string mask_userinfo(const Credentials& c);

}  // namespace asyncfetch
