#include "asyncfetch/wire/address_order.hpp"

namespace asyncfetch {

std::vector<boost::asio::ip::address> interleave_families(const std::vector<boost::asio::ip::address>& addresses) {
  std::vector<boost::asio::ip::address> v6, v4, out;
  for (const auto& a : addresses) (a.is_v6() ? v6 : v4).push_back(a);
  out.reserve(addresses.size());
  for (std::size_t i = 0; i < v6.size() || i < v4.size(); ++i) {
    if (i < v6.size()) out.push_back(v6[i]);
    if (i < v4.size()) out.push_back(v4[i]);
  }
  return out;
}

}  // namespace asyncfetch
