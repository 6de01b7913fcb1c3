// The egress guard. See egress_policy.hpp for the contract.
//
// IPv4 addresses are judged against a table of special-purpose ranges. IPv6
// addresses that embed an IPv4 address (mapped, translated, compatible, NAT64,
// 6to4, Teredo) are judged by that IPv4 address and nothing else; the remaining
// IPv6 addresses against a table of their own.
#include "asyncfetch/wire/egress_policy.hpp"

#include <array>
#include <cstdint>
#include <optional>

#include "prefix_match.hpp"

namespace asyncfetch {
namespace {

using Bytes16 = boost::asio::ip::address_v6::bytes_type;

struct V4Range {
  std::uint32_t net;
  unsigned prefix;
};

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// Blocked by default (IANA IPv4 special-purpose registry, minus nothing that is
// globally reachable and useful).
constexpr V4Range kBlockedV4[] = {
    {v4(0, 0, 0, 0), 8},        // "this network", incl. 0.0.0.0 (RFC 791/1122)
    {v4(10, 0, 0, 0), 8},       // private (RFC 1918)
    {v4(100, 64, 0, 0), 10},    // CGNAT shared address space (RFC 6598)
    {v4(127, 0, 0, 0), 8},      // loopback
    {v4(169, 254, 0, 0), 16},   // link-local, incl. cloud metadata 169.254.169.254
    {v4(172, 16, 0, 0), 12},    // private (RFC 1918)
    {v4(192, 0, 0, 0), 24},     // IETF protocol assignments (RFC 6890), incl. 192.0.0.170 NAT64 discovery
    {v4(192, 0, 2, 0), 24},     // documentation TEST-NET-1 (RFC 5737)
    {v4(192, 88, 99, 0), 24},   // 6to4 relay anycast, deprecated (RFC 7526)
    {v4(192, 168, 0, 0), 16},   // private (RFC 1918)
    {v4(198, 18, 0, 0), 15},    // benchmarking (RFC 2544)
    {v4(198, 51, 100, 0), 24},  // documentation TEST-NET-2
    {v4(203, 0, 113, 0), 24},   // documentation TEST-NET-3
    {v4(224, 0, 0, 0), 4},      // multicast
    {v4(240, 0, 0, 0), 4},      // reserved, incl. broadcast 255.255.255.255
};

struct V6Range {
  Bytes16 net;
  unsigned prefix;
};

// Blocked IPv6 ranges that do not embed an IPv4 address (those are judged by it).
// :: and ::1 are matched exactly; the IPv4-embedding prefixes are handled in embedded_v4().
const std::array<V6Range, 11> kBlockedV6 = {{
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 128},                  // :: unspecified
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},                  // ::1 loopback
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48},                               // 64:ff9b:1::/48 local-use NAT64 (RFC 8215)
    {{0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64},                                     // 100::/64 discard-only (RFC 6666)
    {{0x20, 0x01, 0x00, 0x02, 0x00, 0x00}, 48},                               // 2001:2::/48 benchmarking (RFC 5180)
    {{0x20, 0x01, 0x0d, 0xb8}, 32},                                           // 2001:db8::/32 documentation (RFC 3849)
    {{0x3f, 0xff}, 20},                                                       // 3fff::/20 documentation (RFC 9637)
    {{0xfc}, 7},                                                              // fc00::/7 unique local (ULA)
    {{0xfe, 0x80}, 10},                                                       // fe80::/10 link-local
    {{0xfe, 0xc0}, 10},                                                       // fec0::/10 site-local, deprecated
    {{0xff}, 8},                                                              // ff00::/8 multicast
}};

std::uint32_t u32_at(const Bytes16& b, std::size_t i) noexcept {
  return (std::uint32_t{b[i]} << 24) | (std::uint32_t{b[i + 1]} << 16) | (std::uint32_t{b[i + 2]} << 8) |
         std::uint32_t{b[i + 3]};
}

bool all_zero(const Bytes16& b, std::size_t from, std::size_t to) noexcept {
  for (std::size_t i = from; i < to; ++i)
    if (b[i] != 0) return false;
  return true;
}

// The IPv4 address an IPv6 address carries, for the forms that carry one.
std::optional<std::uint32_t> embedded_v4(const boost::asio::ip::address_v6& a) noexcept {
  const Bytes16 b = a.to_bytes();
  // ::ffff:a.b.c.d, IPv4-mapped (RFC 4291)
  if (all_zero(b, 0, 10) && b[10] == 0xff && b[11] == 0xff) return u32_at(b, 12);
  // ::ffff:0:a.b.c.d, IPv4-translated (RFC 2765 SIIT)
  if (all_zero(b, 0, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0) return u32_at(b, 12);
  // ::a.b.c.d, IPv4-compatible (deprecated); :: and ::1 are not, they are themselves.
  if (all_zero(b, 0, 12)) {
    std::uint32_t inner = u32_at(b, 12);
    if (inner <= 1) return std::nullopt;
    return inner;
  }
  // 64:ff9b::/96, NAT64 well-known prefix (RFC 6052)
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && all_zero(b, 4, 12)) return u32_at(b, 12);
  // 2002::/16, 6to4 (RFC 3056): the IPv4 address in bits 16..47
  if (b[0] == 0x20 && b[1] == 0x02) return u32_at(b, 2);
  // 2001::/32, Teredo (RFC 4380): the client's IPv4 address, inverted, in the last 32 bits
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) return ~u32_at(b, 12);
  return std::nullopt;
}

bool v4_internal(std::uint32_t a) noexcept {
  for (const auto& r : kBlockedV4)
    if (v4_in(a, r.net, r.prefix)) return true;
  return false;
}

}  // namespace

bool is_internal_address(const boost::asio::ip::address& a) noexcept {
  if (a.is_v4()) return v4_internal(a.to_v4().to_uint());
  const auto v6 = a.to_v6();
  if (auto inner = embedded_v4(v6)) return v4_internal(*inner);
  const Bytes16 b = v6.to_bytes();
  for (const auto& r : kBlockedV6)
    if (bytes_in(b.data(), r.net.data(), r.prefix)) return true;
  return false;
}

bool EgressPolicy::allows(const boost::asio::ip::address& a) const noexcept {
  if (!is_internal_address(a)) return true;
  for (const auto& c : allow_)
    if (c.contains(a)) return true;
  // An IPv6 form of an IPv4 address is opened by a range that holds that IPv4
  // address (allowing 127.0.0.0/8 also allows ::ffff:127.0.0.1), and by nothing else.
  if (a.is_v6()) {
    if (auto inner = embedded_v4(a.to_v6())) {
      const boost::asio::ip::address v4addr = boost::asio::ip::address_v4(*inner);
      for (const auto& c : allow_)
        if (c.contains(v4addr)) return true;
    }
  }
  return false;
}

}  // namespace asyncfetch
