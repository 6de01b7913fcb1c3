// Credentials in URLs (http://user:password@host/): the Basic authorization
// they are sent as, and URLs shown without them.
#pragma once

#include <string>
#include <string_view>

namespace asyncfetch {

// "Basic " + base64 of `credentials` ("user:password", as Url::credentials
// holds them): an Authorization header's value (RFC 7617).
std::string basic_authorization(std::string_view credentials);

// Replaces the secret of a URL's userinfo with "***" in place: the password
// ("user:***@"), or a user given alone ("***@"), which is how tokens are often
// passed. Works on any text, URL or not (results echo invalid URLs too): the
// userinfo is what comes between "://" and the last '@' before the first of
// "/?#". Text without one is left as it is.
void mask_credentials(std::string& url_text);

}  // namespace asyncfetch
