// Credentials in URLs (http://user:password@host/, and a proxy's): the
// userinfo decoded, the Basic authorization it is sent as (RFC 7617), and URLs
// shown without it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace asyncfetch {

struct Credentials {
  std::string user;      // percent-decoded; never empty, no ':'
  std::string password;  // percent-decoded; may be empty
  friend bool operator==(const Credentials&, const Credentials&) = default;
};

// "user[:password]", percent-encoded as RFC 3986 userinfo; nullopt for a
// character RFC 3986 does not allow there (a raw '@' among them), a malformed
// %XX, an empty user, a ':' in the decoded user (Basic could not tell where
// it ends) or a decoded control character (no header value may hold one).
std::optional<Credentials> parse_userinfo(std::string_view userinfo);

// "Basic base64(user:password)"
std::string basic_authorization(const Credentials& c);

// "user:***": how a proxy's userinfo is shown in logs.
std::string mask_userinfo(const Credentials& c);

// Replaces the secret of a URL's userinfo with "***" in place: the password
// ("user:***@"), or a user given alone ("***@"), which is how tokens are often
// passed. Works on any text, URL or not (results echo invalid URLs too): the
// userinfo is what comes between "://" and the last '@' before the first of
// "/?#". Text without one is left as it is.
void mask_credentials(std::string& url_text);

}  // namespace asyncfetch
