#include "asyncfetch/wire/address_order.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace asyncfetch;

namespace {

std::vector<boost::asio::ip::address> addrs(std::initializer_list<const char*> texts) {
  std::vector<boost::asio::ip::address> out;
  for (const char* t : texts) out.push_back(boost::asio::ip::make_address(t));
  return out;
}

}  // namespace

TEST_CASE("families alternate, IPv6 first, each keeping its own order (RFC 8305 4)") {
  CHECK(interleave_families(addrs({"127.0.0.1", "127.0.0.2", "::1", "::2", "::3"})) ==
        addrs({"::1", "127.0.0.1", "::2", "127.0.0.2", "::3"}));
  CHECK(interleave_families(addrs({"127.0.0.1", "127.0.0.2"})) == addrs({"127.0.0.1", "127.0.0.2"}));
  CHECK(interleave_families(addrs({"::1"})) == addrs({"::1"}));
  CHECK(interleave_families({}).empty());
}
