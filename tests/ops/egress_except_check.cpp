// Compares the `except` lists of docker/k8s/networkpolicy.yaml with the
// service's egress policy (is_internal_address): the network must deny every
// address the service blocks, and deny nothing the service allows, but for the
// IPv6 forms the manifest denies whole on purpose (kDeniedWhole).
//
// Reads the CIDRs, one per line, on stdin; prints each disagreement and exits 1
// if there is one. k8s_manifests_test.py feeds it the lists.
//
// IPv4 is compared exhaustively, /24 by /24 (first and last address of each):
// exact as long as no range on either side is narrower than a /24, which is
// checked for the manifest's. IPv6 cannot be enumerated; it is probed at the
// addresses that matter: every IPv4-embedding form of the edges of each blocked
// IPv4 range, the edges and middle of every IANA special-purpose block, of every
// /16, and of every except entry.
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <array>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "asyncfetch/wire/egress_policy.hpp"

namespace {

namespace ip = boost::asio::ip;
using Bytes16 = ip::address_v6::bytes_type;

// Denied whole although the service judges them by the IPv4 address inside;
// networkpolicy.yaml says why.
const std::array<const char*, 4> kDeniedWhole = {"::/96", "::ffff:0:0/96", "::ffff:0:0:0/96", "2001::/32"};

// The IANA IPv6 special-purpose address registry, and the other blocks of the
// addressing architecture (site-local, multicast).
const std::array<const char*, 27> kSpecialV6 = {
    "::/128",         "::1/128",        "::ffff:0:0/96", "64:ff9b::/96",     "64:ff9b:1::/48", "100::/64",
    "100:0:0:1::/64", "2001::/23",      "2001::/32",     "2001:1::1/128",    "2001:1::2/128",  "2001:1::3/128",
    "2001:2::/48",    "2001:3::/32",    "2001:4:112::/48", "2001:10::/28",   "2001:20::/28",   "2001:30::/28",
    "2001:db8::/32",  "2002::/16",      "2620:4f:8000::/48", "3fff::/20",    "5f00::/16",      "fc00::/7",
    "fe80::/10",      "fec0::/10",      "ff00::/8",
};

struct V4Block {
  std::uint32_t net;
  std::uint32_t mask;
};

struct Lists {
  std::vector<V4Block> v4;
  std::vector<ip::network_v6> v6;
};

int problems = 0;

void report(const std::string& what) {
  if (++problems <= 40) std::cout << what << '\n';
}

bool denied(const Lists& l, std::uint32_t a) {
  for (const auto& b : l.v4)
    if ((a & b.mask) == b.net) return true;
  return false;
}

bool in(const ip::network_v6& n, const ip::address_v6& a) {
  const Bytes16 x = a.to_bytes(), net = n.network().to_bytes();
  unsigned bits = n.prefix_length();
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits = bits >= 8 ? bits - 8 : 0) {
    auto mask = static_cast<unsigned char>(bits >= 8 ? 0xff : 0xff << (8 - bits));
    if ((x[i] & mask) != (net[i] & mask)) return false;
  }
  return true;
}

bool denied(const Lists& l, const ip::address_v6& a) {
  for (const auto& n : l.v6)
    if (in(n, a)) return true;
  return false;
}

bool denied_whole(const ip::address_v6& a) {
  for (const char* c : kDeniedWhole)
    if (in(ip::make_network_v6(c), a)) return true;
  return false;
}

// The first, middle and last address of a block.
std::array<ip::address_v6, 3> edges(const ip::network_v6& n) {
  Bytes16 first = n.network().to_bytes(), last = first, mid = first;
  for (unsigned bit = n.prefix_length(); bit < 128; ++bit) {
    auto m = static_cast<unsigned char>(0x80 >> (bit % 8));
    last[bit / 8] |= m;
    if (bit == n.prefix_length()) mid[bit / 8] |= m;
  }
  return {ip::address_v6(first), ip::address_v6(mid), ip::address_v6(last)};
}

// Service blocks it => the network denies it; the network denies it => the
// service blocks it, or it is in a block denied whole on purpose.
void probe(const Lists& l, const ip::address_v6& a, const char* why) {
  const bool blocked = asyncfetch::is_internal_address(ip::address(a));
  const bool deny = denied(l, a);
  if (blocked && !deny) report("service blocks " + a.to_string() + " (" + why + "), the NetworkPolicy lets it through");
  if (!blocked && deny && !denied_whole(a))
    report("the NetworkPolicy denies " + a.to_string() + " (" + why + "), which the service allows");
}

ip::address_v6 embed(std::uint32_t v4, std::initializer_list<std::uint8_t> prefix, std::size_t at, bool ones_after) {
  Bytes16 b{};
  std::size_t i = 0;
  for (auto p : prefix) b[i++] = p;
  for (std::size_t k = 0; k < 4; ++k) b[at + k] = static_cast<std::uint8_t>(v4 >> (24 - 8 * k));
  if (ones_after)
    for (std::size_t k = at + 4; k < 16; ++k) b[k] = 0xff;
  return ip::address_v6(b);
}

void probe_embedded(const Lists& l, std::uint32_t v4) {
  probe(l, embed(v4, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 12, false), "IPv4-mapped");
  probe(l, embed(v4, {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0}, 12, false), "IPv4-translated");
  if (v4 > 1) probe(l, embed(v4, {}, 12, false), "IPv4-compatible");
  probe(l, embed(v4, {0, 0x64, 0xff, 0x9b}, 12, false), "NAT64");
  probe(l, embed(v4, {0x20, 0x02}, 2, false), "6to4");
  probe(l, embed(v4, {0x20, 0x02}, 2, true), "6to4");
  probe(l, embed(~v4, {0x20, 0x01, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}, 12, false), "Teredo");
}

}  // namespace

int main() {
  Lists lists;
  for (std::string line; std::getline(std::cin, line);) {
    if (line.empty()) continue;
    boost::system::error_code ec;
    if (line.find(':') == std::string::npos) {
      auto n = ip::make_network_v4(line, ec);
      if (ec || n.network() != n.address()) {
        report("not an IPv4 network: " + line);
      } else if (n.prefix_length() > 24) {
        report("narrower than a /24, which the exhaustive IPv4 comparison does not resolve: " + line);
      } else {
        lists.v4.push_back({n.network().to_uint(), n.netmask().to_uint()});
      }
    } else {
      auto n = ip::make_network_v6(line, ec);
      if (ec || n.network() != n.address()) {
        report("not an IPv6 network: " + line);
      } else {
        lists.v6.push_back(n);
      }
    }
  }

  // IPv4, every /24; the edges of each blocked run feed the IPv6 probes.
  std::vector<std::uint32_t> run_edges;
  bool prev_blocked = false;
  for (std::uint64_t block = 0; block <= 0xffffffffu; block += 256) {
    bool block_blocked = false;
    for (auto a : {static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block + 255)}) {
      const ip::address_v4 addr(a);
      const bool blocked = asyncfetch::is_internal_address(ip::address(addr));
      if (blocked != denied(lists, a))
        report(blocked ? "service blocks " + addr.to_string() + ", the NetworkPolicy lets it through"
                       : "the NetworkPolicy denies " + addr.to_string() + ", which the service allows");
      block_blocked = blocked;
    }
    if (block_blocked != prev_blocked) run_edges.push_back(static_cast<std::uint32_t>(block_blocked ? block : block - 1));
    prev_blocked = block_blocked;
  }
  if (prev_blocked) run_edges.push_back(0xffffffffu);

  for (auto v4 : run_edges) probe_embedded(lists, v4);
  for (const char* c : kSpecialV6)
    for (const auto& a : edges(ip::make_network_v6(c))) probe(lists, a, c);
  for (unsigned p = 0; p <= 0xffff; ++p) {
    Bytes16 b{};
    b[0] = static_cast<unsigned char>(p >> 8);
    b[1] = static_cast<unsigned char>(p);
    for (const auto& a : edges(ip::network_v6(ip::address_v6(b), 16))) probe(lists, a, "a /16");
  }
  for (const auto& n : lists.v6)
    for (const auto& a : edges(n)) probe(lists, a, "an except entry");

  if (problems > 0) {
    std::cout << problems << " disagreement(s) between the NetworkPolicy and the egress policy\n";
    return 1;
  }
  std::cout << "NetworkPolicy except lists agree with the egress policy: " << lists.v4.size() << " IPv4 and "
            << lists.v6.size() << " IPv6 ranges, " << run_edges.size() / 2 << " blocked IPv4 runs\n";
  return 0;
}
