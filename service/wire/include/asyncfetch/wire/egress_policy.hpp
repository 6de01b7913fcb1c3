// The egress guard: may we connect to this address? A pure decision function,
// deny by default for every address that reaches inside a network.
//
// Blocked unless an allow_cidrs range contains the address: loopback,
// RFC 1918 private, link-local (incl. 169.254.169.254), CGNAT 100.64/10,
// multicast, unspecified/0.0.0.0/8, broadcast, reserved 240/4, benchmarking
// 198.18/15, documentation ranges, and for IPv6: ::, ::1, fe80::/10, fc00::/7,
// ff00::/8, and every form that embeds an IPv4 address (IPv4-mapped
// ::ffff:0:0/96, IPv4-compatible ::/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48,
// 6to4 2002::/16, Teredo 2001::/32), which is judged by the IPv4 inside it.
// The decision is made on the address actually connected to, after DNS.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <utility>
#include <vector>

#include "asyncfetch/wire/cidr.hpp"

namespace asyncfetch {

class EgressPolicy {
 public:
  EgressPolicy() = default;
  explicit EgressPolicy(std::vector<Cidr> allow) : allow_(std::move(allow)) {}

  // True when connecting to `a` is allowed.
  bool allows(const boost::asio::ip::address& a) const noexcept;

 private:
  std::vector<Cidr> allow_;
};

// Whether `a` (or the IPv4 address it embeds) is in a range that is blocked by default.
bool is_internal_address(const boost::asio::ip::address& a) noexcept;

}  // namespace asyncfetch
