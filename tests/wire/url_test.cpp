#include "asyncfetch/wire/url.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>

using asyncfetch::parse_url;
using asyncfetch::resolve_redirect;
using asyncfetch::Url;

namespace {

struct Canonical {
  const char* input;
  const char* str;   // Url::str()
  const char* host;  // Url::host
  int port;
  const char* target;
  bool host_is_ip;
};

Url must_parse(const std::string& s) {
  auto u = parse_url(s);
  INFO("input: " << s);
  REQUIRE(u.has_value());
  return *u;
}

}  // namespace

TEST_CASE("parse_url: valid inputs and their canonical form", "[url]") {
  const Canonical table[] = {
      {"http://example.com", "http://example.com/", "example.com", 80, "/", false},
      {"https://example.com/", "https://example.com/", "example.com", 443, "/", false},
      {"HTTP://Example.COM/Path", "http://example.com/Path", "example.com", 80, "/Path", false},
      {"HtTpS://EXAMPLE.com", "https://example.com/", "example.com", 443, "/", false},
      {"http://example.com:8080/a?b=c", "http://example.com:8080/a?b=c", "example.com", 8080, "/a?b=c", false},
      {"http://example.com:80/", "http://example.com/", "example.com", 80, "/", false},
      {"https://example.com:443/", "https://example.com/", "example.com", 443, "/", false},
      {"https://example.com:80/", "https://example.com:80/", "example.com", 80, "/", false},
      {"http://example.com:443/", "http://example.com:443/", "example.com", 443, "/", false},
      {"http://example.com:/", "http://example.com/", "example.com", 80, "/", false},
      {"http://example.com:0080/", "http://example.com/", "example.com", 80, "/", false},
      {"http://example.com:1/", "http://example.com:1/", "example.com", 1, "/", false},
      {"http://example.com:65535/", "http://example.com:65535/", "example.com", 65535, "/", false},
      {"http://example.com?q=1", "http://example.com/?q=1", "example.com", 80, "/?q=1", false},
      {"http://example.com/p?", "http://example.com/p?", "example.com", 80, "/p?", false},
      {"http://example.com/p#frag", "http://example.com/p", "example.com", 80, "/p", false},
      {"http://example.com/p?q#frag", "http://example.com/p?q", "example.com", 80, "/p?q", false},
      {"http://example.com#frag", "http://example.com/", "example.com", 80, "/", false},
      {"http://example.com/a%20b?x=%2F%zz", "http://example.com/a%20b?x=%2F%zz", "example.com", 80,
       "/a%20b?x=%2F%zz", false},
      {"http://example.com/a/./b/../c", "http://example.com/a/c", "example.com", 80, "/a/c", false},
      {"http://example.com/..", "http://example.com/", "example.com", 80, "/", false},
      {"http://example.com/a/b/..?x=/../", "http://example.com/a/?x=/../", "example.com", 80, "/a/?x=/../", false},
      {"http://example.com/a\"b<c>", "http://example.com/a%22b%3Cc%3E", "example.com", 80, "/a%22b%3Cc%3E", false},
      {"http://example.com/caf\xc3\xa9", "http://example.com/caf%C3%A9", "example.com", 80, "/caf%C3%A9", false},
      {"http://example.com./", "http://example.com/", "example.com", 80, "/", false},
      {"http://my_host.internal-name.local/", "http://my_host.internal-name.local/", "my_host.internal-name.local",
       80, "/", false},
      {"http://xn--bcher-kva.example/", "http://xn--bcher-kva.example/", "xn--bcher-kva.example", 80, "/", false},
      {"http://localhost:8080", "http://localhost:8080/", "localhost", 8080, "/", false},
      {"http://1.2.3.com/", "http://1.2.3.com/", "1.2.3.com", 80, "/", false},
      {"http://0x7f.com/", "http://0x7f.com/", "0x7f.com", 80, "/", false},
      // IPv4 and its odd spellings
      {"http://127.0.0.1/", "http://127.0.0.1/", "127.0.0.1", 80, "/", true},
      {"http://127.1/", "http://127.0.0.1/", "127.0.0.1", 80, "/", true},
      {"http://127.0.1/", "http://127.0.0.1/", "127.0.0.1", 80, "/", true},
      {"http://2130706433/", "http://127.0.0.1/", "127.0.0.1", 80, "/", true},
      {"http://0x7f.0.0.1/", "http://127.0.0.1/", "127.0.0.1", 80, "/", true},
      {"http://0X7F.0.0.1/", "http://127.0.0.1/", "127.0.0.1", 80, "/", true},
      {"http://0177.0.0.1/", "http://127.0.0.1/", "127.0.0.1", 80, "/", true},
      {"http://0x7f000001/", "http://127.0.0.1/", "127.0.0.1", 80, "/", true},
      {"http://017700000001/", "http://127.0.0.1/", "127.0.0.1", 80, "/", true},
      {"http://127.0.0.1./", "http://127.0.0.1/", "127.0.0.1", 80, "/", true},
      {"http://0x7f.1:8080/x", "http://127.0.0.1:8080/x", "127.0.0.1", 8080, "/x", true},
      {"http://0/", "http://0.0.0.0/", "0.0.0.0", 80, "/", true},
      {"http://0x/", "http://0.0.0.0/", "0.0.0.0", 80, "/", true},
      {"http://4294967295/", "http://255.255.255.255/", "255.255.255.255", 80, "/", true},
      {"http://169.254.43518/", "http://169.254.169.254/", "169.254.169.254", 80, "/", true},
      {"http://10.0.0.010/", "http://10.0.0.8/", "10.0.0.8", 80, "/", true},
      {"http://1.2.3.4/", "http://1.2.3.4/", "1.2.3.4", 80, "/", true},
      // IPv6 literals: stored bare and canonical, bracketed in str()
      {"http://[::1]/", "http://[::1]/", "::1", 80, "/", true},
      {"http://[0:0:0:0:0:0:0:1]/", "http://[::1]/", "::1", 80, "/", true},
      {"http://[::ffff:127.0.0.1]/", "http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1", 80, "/", true},
      {"http://[::FFFF:7F00:1]/", "http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1", 80, "/", true},
      {"https://[2606:4700:0000::1111]:8443/x", "https://[2606:4700::1111]:8443/x", "2606:4700::1111", 8443, "/x",
       true},
      {"http://[FE80::1]", "http://[fe80::1]/", "fe80::1", 80, "/", true},
  };
  for (const auto& row : table) {
    INFO("input: " << row.input);
    auto u = parse_url(row.input);
    REQUIRE(u.has_value());
    CHECK(u->str() == row.str);
    CHECK(u->host == row.host);
    CHECK(u->port == row.port);
    CHECK(u->target == row.target);
    CHECK(u->host_is_ip == row.host_is_ip);
    // The canonical form is a fixed point.
    auto again = parse_url(u->str());
    REQUIRE(again.has_value());
    CHECK(again->str() == u->str());
    CHECK(again->host_is_ip == u->host_is_ip);
  }
}

TEST_CASE("parse_url: invalid inputs", "[url]") {
  const char* table[] = {
      "",
      "example.com",
      "example.com/path",
      "/path",
      "//example.com/",
      "ftp://example.com/",
      "file:///etc/passwd",
      "gopher://127.0.0.1:70/",
      "javascript:alert(1)",
      "mailto:a@example.com",
      "httpx://example.com/",
      "http:example.com",
      "http:/example.com",
      "http://",
      "http:///path",
      "http://:80/",
      "http://example.com\\@evil.com/",
      // userinfo: one '@', RFC 3986 characters, a decoded user without ':', no control characters
      "http://u:p@ss@example.com/",
      "http://a@b@example.com/",
      "http://us er@example.com/",
      "http://u\"@example.com/",
      "http://u<@example.com/",
      "http://u[x]@example.com/",
      "http://u%3Ax:p@example.com/",
      "http://u:p%0D%0A@example.com/",
      "http://u%00@example.com/",
      "http://u:p%7f@example.com/",
      "http://u:p%4@example.com/",
      "http://u:p%@example.com/",
      "http://u:p%zz@example.com/",
      "http://u:p@/",
      "http://u:p@:80/",
      "http://:pass@example.com/",  // no user
      "http://:@example.com/",
      "http://example.com\\evil.com/",
      " http://example.com/",
      "http://example.com/ ",
      "http://exa mple.com/",
      "http://example.com/a b",
      "http://example.com/a\tb",
      "http://example.com/\r\nX-Injected: 1",
      "http://example.com/a\x7f",
      "http://example.com:0/",
      "http://example.com:65536/",
      "http://example.com:99999999999999999999/",
      "http://example.com:-1/",
      "http://example.com:8o/",
      "http://example.com:80:80/",
      "http://example.com:+80/",
      "http://ex%61mple.com/",
      "http://%31%32%37.0.0.1/",
      "http://caf\xc3\xa9.example/",
      "http://a..b/",
      "http://.example.com/",
      "http://example.com../",
      "http://./",
      "http://a/b?c=\x01",
      "http://ex!ample.com/",
      "http://exa*mple.com/",
      "http://[::1/",
      "http://::1/",
      "http://[::1]x/",
      "http://[::1]:0/",
      "http://[fe80::1%25eth0]/",
      "http://[fe80::1%eth0]/",
      "http://[::g]/",
      "http://[1.2.3.4]/",
      "http://[]/",
      "http://[example.com]/",
      // IPv4-looking hosts that are not valid IPv4 addresses
      "http://256.0.0.1/",
      "http://1.2.3.256/",
      "http://1.2.65536/",
      "http://1.16777216/",
      "http://4294967296/",
      "http://0x100000000/",
      "http://0xffffffffff/",
      "http://99999999999999999999999/",
      "http://1.2.3.4.5/",
      "http://08.0.0.1/",
      "http://0x7g.0.0.1/",
      "http://1..2.3/",
      "http://1.2.3.4../",
      "http://foo.123/",
      "http://foo.0x7f/",
  };
  for (const char* s : table) {
    INFO("input: " << s);
    CHECK_FALSE(parse_url(s).has_value());
  }
}

TEST_CASE("parse_url: userinfo becomes credentials, decoded, outside every other part", "[url]") {
  struct Row {
    const char* input;
    std::optional<asyncfetch::Credentials> credentials;
    const char* str;
  };
  const Row table[] = {
      {"http://user:pass@example.com/x", asyncfetch::Credentials{"user", "pass"}, "http://example.com/x"},
      {"http://user@example.com/", asyncfetch::Credentials{"user", ""}, "http://example.com/"},
      {"https://Al%61ddin:open%20sesame@H:8443/p?q", asyncfetch::Credentials{"Aladdin", "open sesame"},
       "https://h:8443/p?q"},
      {"http://example.com@evil.com/", asyncfetch::Credentials{"example.com", ""}, "http://evil.com/"},
      {"http://u:p@[::1]:8080/", asyncfetch::Credentials{"u", "p"}, "http://[::1]:8080/"},
      {"http://u:p@127.1/", asyncfetch::Credentials{"u", "p"}, "http://127.0.0.1/"},
      {"http://@example.com/", std::nullopt, "http://example.com/"},  // empty: none (WHATWG)
  };
  for (const auto& row : table) {
    INFO("input: " << row.input);
    const Url u = must_parse(row.input);
    CHECK(u.credentials == row.credentials);
    CHECK(u.str() == row.str);
    CHECK(u.origin().find('@') == std::string::npos);
    CHECK(u.host_header().find('@') == std::string::npos);
  }
  // The origin (the pool's and the per-host limits' key) ignores credentials.
  CHECK(must_parse("http://a:b@example.com/").origin() == must_parse("http://example.com:80/x").origin());
}

TEST_CASE("parse_url: length limits", "[url]") {
  const std::string prefix = "http://example.com/";
  CHECK(parse_url(prefix + std::string(8192 - prefix.size(), 'a')).has_value());
  CHECK_FALSE(parse_url(prefix + std::string(8193 - prefix.size(), 'a')).has_value());
  // Percent-encoding raw bytes must not grow the URL past the limit.
  CHECK_FALSE(parse_url(prefix + std::string(8000 - prefix.size(), '<')).has_value());
  // ...counted on the canonical form to the byte: brackets and a port included
  // (18 + 3 * 1000 + 5174 = 8192).
  const std::string v6 = "http://[::1]:8080/" + std::string(1000, '<');
  CHECK(parse_url(v6 + std::string(5174, 'a')).has_value());
  CHECK(parse_url(v6 + std::string(5174, 'a'))->str().size() == 8192);
  CHECK_FALSE(parse_url(v6 + std::string(5175, 'a')).has_value());

  const std::string label63(63, 'a');
  CHECK(parse_url("http://" + label63 + ".com/").has_value());
  CHECK_FALSE(parse_url("http://" + label63 + "a.com/").has_value());

  // 4 labels of 63 + 3 dots = 255 > 253; 3 labels of 63 + "a" ... = 253 fine.
  const std::string host253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  REQUIRE(host253.size() == 253);
  CHECK(parse_url("http://" + host253 + "/").has_value());
  CHECK(parse_url("http://" + host253 + "./").has_value());
  CHECK_FALSE(parse_url("http://" + host253 + "b/").has_value());
}

TEST_CASE("Url: host_header, origin and str", "[url]") {
  SECTION("default port omitted from Host and str, always in origin") {
    auto u = must_parse("http://Example.com/a?b");
    CHECK(u.host_header() == "example.com");
    CHECK(u.origin() == "http://example.com:80");
    CHECK(u.str() == "http://example.com/a?b");
    CHECK_FALSE(u.https());
  }
  SECTION("https default") {
    auto u = must_parse("https://example.com:443");
    CHECK(u.https());
    CHECK(u.host_header() == "example.com");
    CHECK(u.origin() == "https://example.com:443");
    CHECK(u.str() == "https://example.com/");
  }
  SECTION("explicit port") {
    auto u = must_parse("https://example.com:8443/x");
    CHECK(u.host_header() == "example.com:8443");
    CHECK(u.origin() == "https://example.com:8443");
    CHECK(u.str() == "https://example.com:8443/x");
  }
  SECTION("IPv6 in brackets") {
    auto u = must_parse("http://[::1]:8080/x");
    CHECK(u.host == "::1");
    CHECK(u.host_header() == "[::1]:8080");
    CHECK(u.origin() == "http://[::1]:8080");
    CHECK(u.str() == "http://[::1]:8080/x");
    auto d = must_parse("http://[::1]/");
    CHECK(d.host_header() == "[::1]");
    CHECK(d.origin() == "http://[::1]:80");
  }
  SECTION("odd IPv4 spellings share one origin") {
    CHECK(must_parse("http://127.1:8080/").origin() == must_parse("http://0x7f000001:8080/a").origin());
    CHECK(must_parse("http://2130706433/").host_header() == "127.0.0.1");
  }
  SECTION("http and https of one host are different origins") {
    CHECK(must_parse("http://example.com/").origin() != must_parse("https://example.com/").origin());
  }
}

TEST_CASE("resolve_redirect: RFC 3986 5.4.1 normal examples", "[url][redirect]") {
  const Url base = must_parse("http://a/b/c/d;p?q");
  const std::pair<const char*, const char*> table[] = {
      {"g", "http://a/b/c/g"},
      {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"},
      {"//g", "http://g/"},
      {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},
      {"#s", "http://a/b/c/d;p?q"},  // fragments are dropped
      {"g#s", "http://a/b/c/g"},
      {"g?y#s", "http://a/b/c/g?y"},
      {";x", "http://a/b/c/;x"},
      {"g;x", "http://a/b/c/g;x"},
      {"g;x?y#s", "http://a/b/c/g;x?y"},
      {"", "http://a/b/c/d;p?q"},
      {".", "http://a/b/c/"},
      {"./", "http://a/b/c/"},
      {"..", "http://a/b/"},
      {"../", "http://a/b/"},
      {"../g", "http://a/b/g"},
      {"../..", "http://a/"},
      {"../../", "http://a/"},
      {"../../g", "http://a/g"},
  };
  for (const auto& [ref, expected] : table) {
    INFO("ref: \"" << ref << "\"");
    auto r = resolve_redirect(base, ref);
    REQUIRE(r.has_value());
    CHECK(r->str() == expected);
  }
  // "g:h" is an absolute URI of another scheme: not something we follow.
  CHECK_FALSE(resolve_redirect(base, "g:h").has_value());
}

TEST_CASE("resolve_redirect: RFC 3986 5.4.2 abnormal examples", "[url][redirect]") {
  const Url base = must_parse("http://a/b/c/d;p?q");
  const std::pair<const char*, const char*> table[] = {
      {"../../../g", "http://a/g"},
      {"../../../../g", "http://a/g"},
      {"/./g", "http://a/g"},
      {"/../g", "http://a/g"},
      {"g.", "http://a/b/c/g."},
      {".g", "http://a/b/c/.g"},
      {"g..", "http://a/b/c/g.."},
      {"..g", "http://a/b/c/..g"},
      {"./../g", "http://a/b/g"},
      {"./g/.", "http://a/b/c/g/"},
      {"g/./h", "http://a/b/c/g/h"},
      {"g/../h", "http://a/b/c/h"},
      {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
      {"g;x=1/../y", "http://a/b/c/y"},
      {"g?y/./x", "http://a/b/c/g?y/./x"},
      {"g?y/../x", "http://a/b/c/g?y/../x"},
      {"g#s/./x", "http://a/b/c/g"},
      {"g#s/../x", "http://a/b/c/g"},
  };
  for (const auto& [ref, expected] : table) {
    INFO("ref: \"" << ref << "\"");
    auto r = resolve_redirect(base, ref);
    REQUIRE(r.has_value());
    CHECK(r->str() == expected);
  }
  // Strict parser (RFC 3986 5.4.2): "http:g" is an absolute URI without authority.
  CHECK_FALSE(resolve_redirect(base, "http:g").has_value());
}

TEST_CASE("resolve_redirect: absolute and scheme-relative locations", "[url][redirect]") {
  const Url base = must_parse("https://example.com:8443/dir/page?x=1");
  auto check = [&](const char* loc, const char* expected) {
    INFO("location: " << loc);
    auto r = resolve_redirect(base, loc);
    REQUIRE(r.has_value());
    CHECK(r->str() == expected);
  };
  check("http://other.example/", "http://other.example/");
  check("HTTPS://Other.Example:443/a#f", "https://other.example/a");
  check("//other.example/p", "https://other.example/p");
  check("//127.1:9000", "https://127.0.0.1:9000/");
  check("/abs?y=2", "https://example.com:8443/abs?y=2");
  check("rel", "https://example.com:8443/dir/rel");
  check("?only=query", "https://example.com:8443/dir/page?only=query");
  check("#frag", "https://example.com:8443/dir/page?x=1");
  check("  /trimmed  ", "https://example.com:8443/trimmed");
  check("/caf\xc3\xa9", "https://example.com:8443/caf%C3%A9");
  check("/.//evil.example/", "https://example.com:8443//evil.example/");

  auto https = resolve_redirect(base, "//[::1]:8080/x");
  REQUIRE(https.has_value());
  CHECK(https->host == "::1");
  CHECK(https->host_is_ip);
  CHECK(https->port == 8080);

  auto redirect_to_odd_ipv4 = resolve_redirect(base, "http://0x7f.1/");
  REQUIRE(redirect_to_odd_ipv4.has_value());
  CHECK(redirect_to_odd_ipv4->host == "127.0.0.1");
  CHECK(redirect_to_odd_ipv4->host_is_ip);
}

TEST_CASE("resolve_redirect: invalid results", "[url][redirect]") {
  const Url base = must_parse("http://example.com/a/b");
  const char* table[] = {
      "ftp://example.com/",
      "file:///etc/passwd",
      "javascript:alert(1)",
      "data:text/plain,hi",
      "//user:pass@example.com/",
      "http://user@example.com/",
      "https://u:p@example.com/",
      "//@example.com@evil.com/",
      "//",
      "///path",
      "http://example.com:0/",
      "/a b",
      "/a\r\nSet-Cookie: x=1",
      "http://256.1.1.1/",
  };
  for (const char* loc : table) {
    INFO("location: " << loc);
    CHECK_FALSE(resolve_redirect(base, loc).has_value());
  }
  CHECK_FALSE(resolve_redirect(base, std::string(9000, 'a')).has_value());
}

TEST_CASE("resolve_redirect keeps the base host and port for relative locations", "[url][redirect]") {
  const Url base = must_parse("http://[2001:db8::1]:8080/a/b?q");
  auto r = resolve_redirect(base, "../c");
  REQUIRE(r.has_value());
  CHECK(r->str() == "http://[2001:db8::1]:8080/c");
  CHECK(r->host == "2001:db8::1");
  CHECK(r->port == 8080);
  CHECK(r->host_is_ip);
}
