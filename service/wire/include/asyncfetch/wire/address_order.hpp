// The order in which a fetch tries a name's addresses (RFC 8305 section 4):
// families interleaved, IPv6 first, each family keeping the resolver's order
// (which already holds RFC 6724's preferences). Pure, for Happy Eyeballs.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <vector>

namespace asyncfetch {

std::vector<boost::asio::ip::address> interleave_families(const std::vector<boost::asio::ip::address>& addresses);

}  // namespace asyncfetch
