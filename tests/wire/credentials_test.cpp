// Credentials in URLs: Basic encoding (RFC 7617's examples) and masking of
// URLs as results and logs show them.
#include "asyncfetch/wire/credentials.hpp"

#include <catch2/catch.hpp>

#include <string>

using asyncfetch::basic_authorization;
using asyncfetch::mask_credentials;

namespace {
std::string masked(std::string s) {
  mask_credentials(s);
  return s;
}
}  // namespace

TEST_CASE("credentials: Basic is base64 of user:password", "[credentials]") {
  CHECK(basic_authorization("Aladdin:open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");  // RFC 7617
  CHECK(basic_authorization("test:123\xc2\xa3") == "Basic dGVzdDoxMjPCow==");                // RFC 7617, UTF-8
  CHECK(basic_authorization("u:") == "Basic dTo=");
  CHECK(basic_authorization(":p") == "Basic OnA=");
  CHECK(basic_authorization("ab:c") == "Basic YWI6Yw==");
  CHECK(basic_authorization("abc:def") == "Basic YWJjOmRlZg==");
  CHECK(basic_authorization("") == "Basic ");
  const std::string long_one(3000, 'x');
  CHECK(basic_authorization(long_one).size() == 6 + 4000);
}

TEST_CASE("credentials: the password is masked, the user kept", "[credentials]") {
  CHECK(masked("http://user:pass@example.com/x") == "http://user:***@example.com/x");
  CHECK(masked("https://u:p%40ss@h:8443/?q=a@b") == "https://u:***@h:8443/?q=a@b");
  CHECK(masked("http://user:@h/") == "http://user:***@h/");
  CHECK(masked("http://:secret@h/") == "http://:***@h/");
  CHECK(masked("http://user:a:b@h/") == "http://user:***@h/");
}

TEST_CASE("credentials: a user given alone is masked whole (tokens are passed so)", "[credentials]") {
  CHECK(masked("https://ghp_token@github.example/repo") == "https://***@github.example/repo");
  CHECK(masked("http://tok@h") == "http://***@h");
}

TEST_CASE("credentials: text without userinfo is left as it is", "[credentials]") {
  for (const char* s : {"http://example.com/", "http://example.com/a@b", "http://h/?x=u:p@h", "http://h#u:p@x",
                        "http://@h/", "mailto:a@example.com", "not a url", "", "http://", "u:p@h"}) {
    INFO(s);
    CHECK(masked(s) == s);
  }
}

TEST_CASE("credentials: invalid URLs are masked too, up to the last '@' of the authority", "[credentials]") {
  CHECK(masked("ftp://u:p@h/") == "ftp://u:***@h/");
  CHECK(masked("http://u:p@ss@h/") == "http://u:***@h/");
  CHECK(masked("http://a@b@h/") == "http://***@h/");
}
