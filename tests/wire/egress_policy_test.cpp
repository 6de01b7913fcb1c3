// These tests only parse addresses and decide on them; nothing connects anywhere.
#include "asyncfetch/wire/egress_policy.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "test_address.hpp"

using asyncfetch::Cidr;
using asyncfetch::EgressPolicy;
using asyncfetch::is_internal_address;

namespace {

EgressPolicy policy(std::initializer_list<const char*> ranges) {
  std::vector<Cidr> v;
  for (const char* r : ranges) {
    auto c = Cidr::parse(r);
    INFO("cidr: " << r);
    REQUIRE(c.has_value());
    v.push_back(*c);
  }
  return EgressPolicy(std::move(v));
}

}  // namespace

TEST_CASE("is_internal_address: every blocked range", "[egress]") {
  const char* blocked[] = {
      // IPv4
      "0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254", "127.0.0.1",
      "127.255.255.254", "169.254.0.1", "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.8",
      "192.0.0.170", "192.0.2.1", "192.88.99.1", "192.168.0.1", "192.168.255.255", "198.18.0.1",
      "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1",
      "255.255.255.255",
      // IPv6 on its own
      "::", "::1", "fe80::1", "febf::1", "fec0::1", "fc00::1", "fd00::1", "fdff:ffff::1", "ff02::1",
      "ff05::1:3", "100::1", "2001:2::1", "2001:db8::1", "3fff::1", "64:ff9b:1::1", "64:ff9b:1::808:808",
      // IPv6 embedding an internal IPv4 address
      "::ffff:10.0.0.1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0", "::ffff:0:127.0.0.1",
      "::127.0.0.1", "::10.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::192.168.0.1",
      "2002:7f00:1::", "2002:a00:1::1", "2002:a9fe:a9fe::", "2002:c0a8:1:1::1",
      // Teredo: client 127.0.0.1, 10.0.0.1, 0.0.0.0, and RFC 4380's example (client 192.0.2.45)
      "2001:0:4136:e378:8000:63bf:80ff:fffe", "2001:0:4136:e378:8000:63bf:f5ff:fffe", "2001::ffff:ffff",
      "2001:0:4136:e378:8000:63bf:3fff:fdd2",
  };
  for (const char* s : blocked) {
    INFO("address: " << s);
    CHECK(is_internal_address(addr(s)));
    CHECK_FALSE(EgressPolicy().allows(addr(s)));
  }
}

TEST_CASE("is_internal_address: public addresses are allowed", "[egress]") {
  const char* allowed[] = {
      "8.8.8.8", "1.1.1.1", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0", "126.255.255.255",
      "128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0", "192.0.1.1",
      "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0", "223.255.255.255", "93.184.216.34",
      // IPv6
      "2606:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001::1", "2001:db9::1", "fbff::1",
      // IPv6 embedding a public IPv4 address, judged by it
      "::ffff:8.8.8.8", "::ffff:0:8.8.8.8", "::8.8.8.8", "64:ff9b::808:808", "64:ff9b::1.1.1.1",
      "2002:808:808::1",
      // Teredo whose client is 8.8.8.8 (inverted: f7f7:f7f7); its server field is not judged
      "2001:0:4136:e378:8000:63bf:f7f7:f7f7", "2001:0:a00:1:8000:63bf:f7f7:f7f7",
  };
  for (const char* s : allowed) {
    INFO("address: " << s);
    CHECK_FALSE(is_internal_address(addr(s)));
    CHECK(EgressPolicy().allows(addr(s)));
  }
}

TEST_CASE("EgressPolicy: allow_cidrs opens 127.0.0.0/8 and nothing else", "[egress]") {
  auto p = policy({"127.0.0.0/8"});
  CHECK(p.allows(addr("127.0.0.1")));
  CHECK(p.allows(addr("127.255.255.254")));
  // The IPv6 forms of an allowed IPv4 address are allowed too.
  CHECK(p.allows(addr("::ffff:127.0.0.1")));
  CHECK(p.allows(addr("::ffff:0:127.0.0.1")));
  CHECK(p.allows(addr("64:ff9b::7f00:1")));
  CHECK(p.allows(addr("2002:7f00:1::")));
  CHECK(p.allows(addr("2001:0:4136:e378:8000:63bf:80ff:fffe")));
  // Public stays allowed.
  CHECK(p.allows(addr("8.8.8.8")));
  CHECK(p.allows(addr("2606:4700::1111")));
  // Nothing else opens.
  for (const char* s : {"10.0.0.1", "0.0.0.0", "169.254.169.254", "192.168.1.1", "::1", "::", "fe80::1",
                        "fd00::1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1", "2002:a00:1::",
                        "64:ff9b:1::7f00:1"}) {
    INFO("address: " << s);
    CHECK_FALSE(p.allows(addr(s)));
  }
}

TEST_CASE("EgressPolicy: allow_cidrs opens ::1/128 and nothing else", "[egress]") {
  auto p = policy({"::1/128"});
  CHECK(p.allows(addr("::1")));
  for (const char* s : {"127.0.0.1", "::", "::2", "::ffff:127.0.0.1", "fe80::1", "10.0.0.1"}) {
    INFO("address: " << s);
    CHECK_FALSE(p.allows(addr(s)));
  }
}

TEST_CASE("EgressPolicy: several ranges, and IPv6 ranges for IPv6 forms", "[egress]") {
  auto p = policy({"127.0.0.0/8", "::1/128", "10.1.0.0/16", "fd00::/8"});
  CHECK(p.allows(addr("127.0.0.1")));
  CHECK(p.allows(addr("::1")));
  CHECK(p.allows(addr("10.1.2.3")));
  CHECK(p.allows(addr("::ffff:10.1.2.3")));
  CHECK(p.allows(addr("fd12::1")));
  CHECK_FALSE(p.allows(addr("10.2.0.1")));
  CHECK_FALSE(p.allows(addr("fc00::1")));
  CHECK_FALSE(p.allows(addr("169.254.169.254")));

  // A range written in IPv6 opens exactly the IPv6 addresses it contains.
  auto mapped = policy({"::ffff:127.0.0.0/104"});
  CHECK(mapped.allows(addr("::ffff:127.0.0.1")));
  CHECK_FALSE(mapped.allows(addr("::ffff:10.0.0.1")));
}

TEST_CASE("EgressPolicy: default denies every internal address, allows public ones", "[egress]") {
  EgressPolicy p;
  CHECK_FALSE(p.allows(addr("127.0.0.1")));
  CHECK_FALSE(p.allows(addr("::1")));
  CHECK(p.allows(addr("8.8.8.8")));
  CHECK(p.allows(addr("1.1.1.1")));
  CHECK(p.allows(addr("2606:4700::1111")));
}
