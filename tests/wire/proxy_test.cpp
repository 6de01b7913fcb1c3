// Proxy values as the configuration and the environment give them, and the
// NO_PROXY rules (Go's httpproxy semantics, loopback not exempt).
#include "asyncfetch/wire/proxy.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace asyncfetch;

namespace {

Url url(const char* text) {
  auto u = parse_url(text);
  REQUIRE(u);
  return *u;
}

NoProxy no_proxy(const char* list) {
  std::string why;
  auto n = NoProxy::parse(list, &why);
  INFO(why);
  REQUIRE(n);
  return *n;
}

}  // namespace

TEST_CASE("a proxy URL names host and port, the port defaults to 80") {
  auto p = parse_proxy("http://proxy.corp:3128");
  REQUIRE(p);
  CHECK(p->host == "proxy.corp");
  CHECK(p->port == 3128);
  CHECK_FALSE(p->host_is_ip);
  CHECK(p->authorization.empty());
  CHECK(p->display == "http://proxy.corp:3128");
  CHECK(p->authority() == "proxy.corp:3128");

  auto bare = parse_proxy("Proxy.Corp");  // no scheme: http://, as curl and Go take it
  REQUIRE(bare);
  CHECK(bare->host == "proxy.corp");
  CHECK(bare->port == 80);

  auto slash = parse_proxy("HTTP://127.0.0.1:8888/");
  REQUIRE(slash);
  CHECK(slash->host_is_ip);
  CHECK(slash->authority() == "127.0.0.1:8888");

  auto v6 = parse_proxy("http://[::1]:3128");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->authority() == "[::1]:3128");
}

TEST_CASE("a proxy's userinfo becomes Basic credentials and is masked in its display") {
  auto p = parse_proxy("http://alice:s3cret@proxy:3128");
  REQUIRE(p);
  CHECK(p->authorization == "Basic YWxpY2U6czNjcmV0");  // base64("alice:s3cret")
  CHECK(p->display == "http://alice:***@proxy:3128");

  auto encoded = parse_proxy("http://a%40corp:p%3Ass%25@proxy:3128");  // "a@corp" : "p:ss%"
  REQUIRE(encoded);
  CHECK(encoded->authorization == "Basic YUBjb3JwOnA6c3Ml");
  CHECK(encoded->display == "http://a@corp:***@proxy:3128");

  auto user_only = parse_proxy("http://bob@proxy:3128");
  REQUIRE(user_only);
  CHECK(user_only->authorization == "Basic Ym9iOg==");  // "bob:"
}

TEST_CASE("proxies this client cannot use are refused with a reason") {
  std::string why;
  CHECK_FALSE(parse_proxy("", &why));
  CHECK(why == "is empty");
  CHECK_FALSE(parse_proxy("https://proxy:443", &why));
  CHECK(why.find("https:// proxies are not supported") != std::string::npos);
  CHECK_FALSE(parse_proxy("socks5://proxy:1080", &why));
  CHECK(why.find("socks5://") != std::string::npos);
  CHECK_FALSE(parse_proxy("http://proxy:3128/path", &why));
  CHECK(why.find("without a path") != std::string::npos);
  CHECK_FALSE(parse_proxy("http://proxy:99999", &why));
  CHECK(why == "has an invalid host or port");
  CHECK_FALSE(parse_proxy("http://:3128", &why));
  CHECK_FALSE(parse_proxy("http://", &why));
  CHECK_FALSE(parse_proxy("http://pro xy:3128", &why));
  CHECK_FALSE(parse_proxy("http://a%zz:b@proxy:3128", &why));
  CHECK(why.find("malformed user:password") != std::string::npos);
  CHECK_FALSE(parse_proxy("http://:pass@proxy:3128", &why));  // no user
}

TEST_CASE("NO_PROXY: a name matches itself and its subdomains, a leading dot only subdomains") {
  const auto n = no_proxy("example.com, .internal.test, *.corp.test");
  CHECK(n.bypasses(url("http://example.com/")));
  CHECK(n.bypasses(url("https://a.b.example.com/")));
  CHECK_FALSE(n.bypasses(url("http://badexample.com/")));
  CHECK_FALSE(n.bypasses(url("http://example.com.evil.test/")));
  CHECK(n.bypasses(url("http://api.internal.test/")));
  CHECK_FALSE(n.bypasses(url("http://internal.test/")));
  CHECK(n.bypasses(url("http://x.corp.test/")));
  CHECK_FALSE(n.bypasses(url("http://corp.test/")));
  CHECK(no_proxy("EXAMPLE.COM").bypasses(url("http://example.com/")));  // case-insensitive
}

TEST_CASE("NO_PROXY: addresses and CIDRs match targets written as addresses, with an optional port") {
  const auto n = no_proxy("10.0.0.0/8,192.168.1.1,::1,[fd00::1]:8443,127.0.0.1:8080");
  CHECK(n.bypasses(url("http://10.2.3.4/")));
  CHECK(n.bypasses(url("http://192.168.1.1:9000/")));
  CHECK_FALSE(n.bypasses(url("http://192.168.1.2/")));
  CHECK(n.bypasses(url("http://[::1]/")));
  CHECK(n.bypasses(url("https://[fd00::1]:8443/")));
  CHECK_FALSE(n.bypasses(url("https://[fd00::1]/")));
  CHECK(n.bypasses(url("http://127.0.0.1:8080/")));
  CHECK_FALSE(n.bypasses(url("http://127.0.0.1:8081/")));
  CHECK(no_proxy("example.com:443").bypasses(url("https://www.example.com/")));
  CHECK_FALSE(no_proxy("example.com:443").bypasses(url("http://www.example.com/")));
  CHECK_FALSE(no_proxy("10.0.0.0/8").bypasses(url("http://ten.example/")));  // no DNS
}

TEST_CASE("NO_PROXY: '*' is everything, empty entries are skipped, garbage is refused") {
  CHECK(no_proxy("*").bypasses(url("http://anything.test/")));
  CHECK(no_proxy(" , ,").bypasses(url("http://anything.test/")) == false);
  CHECK_FALSE(no_proxy("").bypasses(url("http://anything.test/")));
  std::string why;
  CHECK_FALSE(NoProxy::parse("example.com,exa mple.com", &why));
  CHECK(why == "has an invalid entry \"exa mple.com\"");
  CHECK_FALSE(NoProxy::parse("host:0", &why));
  CHECK_FALSE(NoProxy::parse("host:http", &why));
  CHECK_FALSE(NoProxy::parse("[::1", &why));
  CHECK_FALSE(NoProxy::parse(".10.0.0.1", &why));
}

TEST_CASE("routes: http and https targets each have their proxy, NO_PROXY wins") {
  ProxyRoutes r;
  r.http = parse_proxy("http://p1:3128");
  r.https = parse_proxy("http://p2:3128");
  r.no_proxy = no_proxy("direct.test");
  REQUIRE(r.for_target(url("http://a.test/")));
  CHECK(r.for_target(url("http://a.test/"))->host == "p1");
  CHECK(r.for_target(url("https://a.test/"))->host == "p2");
  CHECK(r.for_target(url("https://direct.test/")) == nullptr);
  ProxyRoutes https_only;
  https_only.https = parse_proxy("http://p2:3128");
  CHECK(https_only.for_target(url("http://a.test/")) == nullptr);
  CHECK(https_only.for_target(url("https://a.test/")) != nullptr);
}

TEST_CASE("the CONNECT request names the target, not its address, and carries the proxy's credentials") {
  const auto p = parse_proxy("http://alice:s3cret@proxy:3128");
  REQUIRE(p);
  CHECK(connect_request(url("https://api.example.test/x"), *p) ==
        "CONNECT api.example.test:443 HTTP/1.1\r\nHost: api.example.test:443\r\n"
        "Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n\r\n");
  const auto anonymous = parse_proxy("http://proxy:3128");
  REQUIRE(anonymous);
  CHECK(connect_request(url("https://[::1]:8443/"), *anonymous) == "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n");
}

TEST_CASE("an http target's head goes to the proxy in absolute form") {
  const auto p = parse_proxy("http://alice:s3cret@proxy:3128");
  REQUIRE(p);
  const std::string head = "GET /a?b=1 HTTP/1.1\r\nHost: example.test:8080\r\nAccept: */*\r\n\r\n";
  CHECK(via_proxy(head, url("http://example.test:8080/a?b=1"), *p) ==
        "GET http://example.test:8080/a?b=1 HTTP/1.1\r\nProxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n"
        "Host: example.test:8080\r\nAccept: */*\r\n\r\n");
  const auto anonymous = parse_proxy("http://proxy:3128");
  REQUIRE(anonymous);
  CHECK(via_proxy("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", url("http://h/"), *anonymous) ==
        "HEAD http://h/ HTTP/1.1\r\nHost: h\r\n\r\n");
}
