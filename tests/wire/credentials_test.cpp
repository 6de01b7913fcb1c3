// Credentials in URLs: userinfo decoded, Basic encoding (RFC 7617's
// examples), and masking of URLs as results and logs show them.
#include "asyncfetch/wire/credentials.hpp"

#include <catch2/catch.hpp>

#include <string>

using asyncfetch::basic_authorization;
using asyncfetch::Credentials;
using asyncfetch::mask_credentials;
using asyncfetch::mask_userinfo;
using asyncfetch::parse_userinfo;

namespace {
std::string masked(std::string s) {
  mask_credentials(s);
  return s;
}
}  // namespace

TEST_CASE("credentials: Basic is base64 of user:password", "[credentials]") {
  CHECK(basic_authorization({"Aladdin", "open sesame"}) == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");  // RFC 7617
  CHECK(basic_authorization({"test", "123\xc2\xa3"}) == "Basic dGVzdDoxMjPCow==");              // RFC 7617, UTF-8
  CHECK(basic_authorization({"u", ""}) == "Basic dTo=");
  CHECK(basic_authorization({"ab", "c"}) == "Basic YWI6Yw==");
  CHECK(basic_authorization({"abc", "def"}) == "Basic YWJjOmRlZg==");
  CHECK(basic_authorization({std::string(2999, 'x'), ""}).size() == 6 + 4000);
}

TEST_CASE("credentials: userinfo decoded into user and password", "[credentials]") {
  CHECK(parse_userinfo("user:pass") == Credentials{"user", "pass"});
  CHECK(parse_userinfo("user") == Credentials{"user", ""});
  CHECK(parse_userinfo("user:") == Credentials{"user", ""});
  CHECK(parse_userinfo("u:p:q") == Credentials{"u", "p:q"});
  CHECK(parse_userinfo("Al%61ddin:open%20sesame") == Credentials{"Aladdin", "open sesame"});
  CHECK(parse_userinfo("u:p%40s%2Fs%3A") == Credentials{"u", "p@s/s:"});
  CHECK(parse_userinfo("a%40corp:caf%C3%A9") == Credentials{"a@corp", "caf\xc3\xa9"});
  CHECK(parse_userinfo("-._~!$&'()*+,;=:-._~!$&'()*+,;=") == Credentials{"-._~!$&'()*+,;=", "-._~!$&'()*+,;="});
  for (const char* bad : {"", ":pass", ":", "u@x:p", "us er:p", "u\":p", "u<:p", "u[x]:p", "u/x:p", "u%3Ax:p",
                          "u:p%0D%0A", "u%00", "u:p%7f", "u:p%4", "u:p%", "u:p%zz", "u:p\x01", "caf\xc3\xa9:p"}) {
    INFO(bad);
    CHECK_FALSE(parse_userinfo(bad).has_value());
  }
}

TEST_CASE("credentials: a proxy's userinfo is shown with its password masked", "[credentials]") {
  CHECK(mask_userinfo({"alice", "s3cret"}) == "alice:***");
  CHECK(mask_userinfo({"bob", ""}) == "bob:***");
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
