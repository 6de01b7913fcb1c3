// CIDR ranges: what parses, what a range holds, and its text.
#include "asyncfetch/wire/cidr.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "test_address.hpp"

using asyncfetch::Cidr;

namespace {

Cidr cidr(const std::string& s) {
  auto c = Cidr::parse(s);
  INFO("cidr: " << s);
  REQUIRE(c.has_value());
  return *c;
}

}  // namespace

TEST_CASE("Cidr::parse accepts ranges and bare addresses", "[cidr]") {
  const char* valid[] = {
      "10.0.0.0/8", "127.0.0.0/8", "0.0.0.0/0", "192.168.1.0/24", "192.168.1.1/32", "127.0.0.1",
      "::/0",       "::1/128",     "::1",       "fe80::/10",      "2001:db8::/32",  "2001:DB8::1/64",
      "::ffff:127.0.0.0/104",      "10.0.0.0/08",
  };
  for (const char* s : valid) {
    INFO("cidr: " << s);
    CHECK(Cidr::parse(s).has_value());
  }
}

TEST_CASE("Cidr::parse rejects garbage", "[cidr]") {
  const char* invalid[] = {
      "",          "/",            "/8",           "10.0.0.0/",   "10.0.0.0/33",  "::/129",
      "10.0.0.0/8/8", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/ 8", " 10.0.0.0/8", "10.0.0.0/8 ",
      "10.0.0.0/8x", "10.0.0.0/1000", "abc",       "localhost",   "10.0.0",       "127.1",
      "0x7f.0.0.1", "2130706433",   "256.0.0.0/8",  "fe80::1%eth0", "fe80::1%1/64", "[::1]",
      "[::1]/128",  "1.2.3.4/a",    ":::/0",        "10.0.0.0\n/8",
  };
  for (const char* s : invalid) {
    INFO("cidr: " << s);
    CHECK_FALSE(Cidr::parse(s).has_value());
  }
}

TEST_CASE("Cidr::contains", "[cidr]") {
  SECTION("IPv4 prefixes") {
    auto c = cidr("10.0.0.0/8");
    CHECK(c.contains(addr("10.0.0.0")));
    CHECK(c.contains(addr("10.255.255.255")));
    CHECK_FALSE(c.contains(addr("11.0.0.0")));
    CHECK_FALSE(c.contains(addr("9.255.255.255")));
    auto odd = cidr("192.168.1.0/31");
    CHECK(odd.contains(addr("192.168.1.1")));
    CHECK_FALSE(odd.contains(addr("192.168.1.2")));
    auto cg = cidr("100.64.0.0/10");
    CHECK(cg.contains(addr("100.127.255.255")));
    CHECK_FALSE(cg.contains(addr("100.128.0.0")));
  }
  SECTION("a bare address is a host route") {
    auto c = cidr("127.0.0.1");
    CHECK(c.contains(addr("127.0.0.1")));
    CHECK_FALSE(c.contains(addr("127.0.0.2")));
    auto v6 = cidr("::1");
    CHECK(v6.contains(addr("::1")));
    CHECK_FALSE(v6.contains(addr("::2")));
  }
  SECTION("host bits in the base are ignored") {
    auto c = cidr("127.0.0.1/8");
    CHECK(c.contains(addr("127.9.9.9")));
    auto v6 = cidr("fe80::1234/10");
    CHECK(v6.contains(addr("febf::1")));
  }
  SECTION("/0 holds its whole family and nothing of the other") {
    CHECK(cidr("0.0.0.0/0").contains(addr("255.255.255.255")));
    CHECK_FALSE(cidr("0.0.0.0/0").contains(addr("::1")));
    CHECK(cidr("::/0").contains(addr("ffff::1")));
    CHECK_FALSE(cidr("::/0").contains(addr("1.2.3.4")));
  }
  SECTION("IPv6 prefixes, including ones that cut a byte") {
    auto ll = cidr("fe80::/10");
    CHECK(ll.contains(addr("fe80::1")));
    CHECK(ll.contains(addr("febf:ffff::1")));
    CHECK_FALSE(ll.contains(addr("fec0::1")));
    auto p65 = cidr("2001:db8:0:0:8000::/65");
    CHECK(p65.contains(addr("2001:db8::8000:0:0:1")));
    CHECK_FALSE(p65.contains(addr("2001:db8::7fff:0:0:1")));
  }
  SECTION("an IPv4 range does not contain the IPv4-mapped IPv6 address by itself") {
    CHECK_FALSE(cidr("10.0.0.0/8").contains(addr("::ffff:10.0.0.1")));
  }
}

TEST_CASE("Cidr::to_string: the range as parse() reads it back", "[cidr]") {
  CHECK(cidr("10.0.0.0/8").to_string() == "10.0.0.0/8");
  CHECK(cidr("10.1.2.3/8").to_string() == "10.0.0.0/8");
  CHECK(cidr("127.0.0.1").to_string() == "127.0.0.1/32");
  CHECK(cidr("::1").to_string() == "::1/128");
  CHECK(cidr("2001:DB8::1/32").to_string() == "2001:db8::/32");
  CHECK(cidr("0.0.0.0/0").to_string() == "0.0.0.0/0");
  for (const char* s : {"10.1.2.3/8", "::ffff:127.0.0.1/104", "fe80::1234/10", "192.168.1.1", "::/0"}) {
    INFO(s);
    CHECK(cidr(cidr(s).to_string()) == cidr(s));
  }
}

TEST_CASE("Cidr: equal when the ranges are", "[cidr]") {
  CHECK(cidr("10.0.0.0/8") == cidr("10.9.9.9/8"));
  CHECK(cidr("127.0.0.1") == cidr("127.0.0.1/32"));
  CHECK_FALSE(cidr("10.0.0.0/8") == cidr("10.0.0.0/9"));
  CHECK_FALSE(cidr("0.0.0.0/0") == cidr("::/0"));
}
