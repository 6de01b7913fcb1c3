// An IP address from its text, for tests of the address policies.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <string>

inline boost::asio::ip::address addr(const std::string& s) { return boost::asio::ip::make_address(s); }
