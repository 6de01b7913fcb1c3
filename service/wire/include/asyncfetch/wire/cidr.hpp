// Cidr: an address range, "10.0.0.0/8" or "::1/128", as allow_cidrs names
// them. The one parser of CIDR text: the configuration validates and holds
// its ranges with it, the egress policy matches addresses with it.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace asyncfetch {

class Cidr {
 public:
  // "a.b.c.d/n" (n <= 32), "ipv6/n" (n <= 128) or a bare address (a /32 or a
  // /128); no zone ids, names or spaces. Host bits below the prefix are
  // cleared: "127.0.0.1/8" is 127.0.0.0/8. nullopt when invalid.
  static std::optional<Cidr> parse(std::string_view text);

  bool contains(const boost::asio::ip::address& a) const noexcept;
  // "127.0.0.0/8", "::1/128": what parse() reads back as this range.
  std::string to_string() const;

  friend bool operator==(const Cidr&, const Cidr&) = default;

 private:
  boost::asio::ip::address base_;
  unsigned prefix_ = 0;
};

}  // namespace asyncfetch
