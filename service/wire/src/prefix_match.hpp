// Whether an address lies under a prefix: the comparisons a CIDR and the
// egress policy's tables of ranges share.
#pragma once

#include <cstdint>

namespace asyncfetch {

// IPv4, as host-order integers.
inline bool v4_in(std::uint32_t a, std::uint32_t net, unsigned prefix) noexcept {
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (a & mask) == (net & mask);
}

// Addresses as bytes in network order (IPv6: 16 of them).
inline bool bytes_in(const unsigned char* a, const unsigned char* net, unsigned prefix) noexcept {
  const unsigned full = prefix / 8;
  for (unsigned i = 0; i < full; ++i)
    if (a[i] != net[i]) return false;
  if (const unsigned rem = prefix % 8; rem != 0) {
    const auto mask = static_cast<unsigned char>(0xff << (8 - rem));
    if ((a[full] & mask) != (net[full] & mask)) return false;
  }
  return true;
}

}  // namespace asyncfetch
