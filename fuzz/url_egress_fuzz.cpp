// bytes -> parse_url (canonical form must be a fixed point, credentials
// decoded and clean), resolve_redirect against fixed bases (never with credentials), Cidr::parse, and the egress decision on addresses made
// from the bytes (an IPv4 address and its IPv6 wrappings must be judged alike).
#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "asyncfetch/wire/egress_policy.hpp"
#include "asyncfetch/wire/url.hpp"
#include "fuzz_check.hpp"

using namespace asyncfetch;
namespace ip = boost::asio::ip;

namespace {

// A parsed URL is canonical: parsing its str() gives back the same URL.
void check_canonical(const Url& u) {
  const std::string s = u.str();
  FUZZ_CHECK(s.size() <= 8 * 1024);
  FUZZ_CHECK(u.scheme == "http" || u.scheme == "https");
  FUZZ_CHECK(!u.host.empty());
  FUZZ_CHECK(u.port != 0);
  FUZZ_CHECK(!u.target.empty() && u.target[0] == '/');
  for (unsigned char c : s) FUZZ_CHECK(c > 0x20 && c < 0x7f);  // safe in a request line and a log
  const auto again = parse_url(s);
  if (!again) {
    std::fprintf(stderr, "canonical form does not parse: %s\n", s.c_str());
    std::abort();
  }
  if (again->str() != s || again->host != u.host || again->port != u.port || again->target != u.target ||
      again->scheme != u.scheme || again->host_is_ip != u.host_is_ip) {
    std::fprintf(stderr, "not a fixed point:\n  %s\n  %s\n", s.c_str(), again->str().c_str());
    std::abort();
  }
  (void)u.origin();
}

const Url& base(int i) {
  static const Url bases[] = {*parse_url("http://example.com/a/b/c?q=1"), *parse_url("https://[::1]:8443/"),
                              *parse_url("http://10.0.0.1:81/x/y/")};
  return bases[i];
}

void check_v4_wrappings(std::uint32_t v4) {
  const bool internal = is_internal_address(ip::address_v4(v4));
  const unsigned char q[4] = {static_cast<unsigned char>(v4 >> 24), static_cast<unsigned char>(v4 >> 16),
                              static_cast<unsigned char>(v4 >> 8), static_cast<unsigned char>(v4)};
  ip::address_v6::bytes_type b{};
  // ::ffff:a.b.c.d
  b[10] = b[11] = 0xff;
  std::memcpy(&b[12], q, 4);
  FUZZ_CHECK(is_internal_address(ip::address_v6(b)) == internal);
  // 64:ff9b::a.b.c.d (NAT64)
  b = {};
  b[1] = 0x64;
  b[2] = 0xff;
  b[3] = 0x9b;
  std::memcpy(&b[12], q, 4);
  FUZZ_CHECK(is_internal_address(ip::address_v6(b)) == internal);
  // 2002:aabb:ccdd:: (6to4)
  b = {};
  b[0] = 0x20;
  b[1] = 0x02;
  std::memcpy(&b[2], q, 4);
  FUZZ_CHECK(is_internal_address(ip::address_v6(b)) == internal);
  // 2001:0::~a.b.c.d (Teredo)
  b = {};
  b[0] = 0x20;
  b[1] = 0x01;
  for (int i = 0; i < 4; ++i) b[12 + i] = static_cast<unsigned char>(~q[i]);
  FUZZ_CHECK(is_internal_address(ip::address_v6(b)) == internal);

  // Allowing 127.0.0.0/8 opens exactly loopback, in every spelling.
  static const EgressPolicy loopback_ok({*Cidr::parse("127.0.0.0/8")});
  const bool loopback = (v4 >> 24) == 127;
  FUZZ_CHECK(loopback_ok.allows(ip::address_v4(v4)) == (!internal || loopback));
  b = {};
  b[10] = b[11] = 0xff;
  std::memcpy(&b[12], q, 4);
  FUZZ_CHECK(loopback_ok.allows(ip::address_v6(b)) == (!internal || loopback));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto u = parse_url(text)) {
    check_canonical(*u);
    (void)u->host_header();
    // Credentials are decoded: a user without ':', neither part with a control character.
    if (u->credentials) {
      FUZZ_CHECK(!u->credentials->user.empty() && u->credentials->user.find(':') == std::string::npos);
      for (unsigned char c : u->credentials->user + u->credentials->password) FUZZ_CHECK(c >= 0x20 && c != 0x7f);
    }
    if (auto r = resolve_redirect(*u, "../x?y#z")) check_canonical(*r);
  }
  for (int i = 0; i < 3; ++i) {
    // A redirect never brings credentials of its own.
    if (auto r = resolve_redirect(base(i), text)) {
      check_canonical(*r);
      FUZZ_CHECK(!r->credentials);
    }
  }

  // CIDRs: a parsed range holds the address it was written with.
  if (auto c = Cidr::parse(text)) {
    boost::system::error_code ec;
    auto a = ip::make_address(std::string(text.substr(0, text.find('/'))), ec);
    FUZZ_CHECK(!ec);
    FUZZ_CHECK(c->contains(a));
    const EgressPolicy p({*c});
    FUZZ_CHECK(p.allows(a));
  }

  // Addresses spelled by the bytes, and made from them.
  boost::system::error_code ec;
  auto spelled = ip::make_address(std::string(text), ec);
  if (!ec) {
    const EgressPolicy none;
    FUZZ_CHECK(none.allows(spelled) == !is_internal_address(spelled));
  }
  if (size >= 4) {
    std::uint32_t v4 = (std::uint32_t{data[0]} << 24) | (std::uint32_t{data[1]} << 16) |
                       (std::uint32_t{data[2]} << 8) | std::uint32_t{data[3]};
    check_v4_wrappings(v4);
  }
  if (size >= 16) {
    ip::address_v6::bytes_type b;
    std::memcpy(b.data(), data, 16);
    const ip::address a = ip::address_v6(b);
    const EgressPolicy none;
    FUZZ_CHECK(none.allows(a) == !is_internal_address(a));
    (void)is_internal_address(a);
  }
  return 0;
}
