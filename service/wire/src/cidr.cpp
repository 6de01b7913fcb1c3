#include "asyncfetch/wire/cidr.hpp"

#include <algorithm>
#include <cstdint>

#include "prefix_match.hpp"

namespace asyncfetch {

std::optional<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  std::string_view addr_text = text.substr(0, slash);
  if (addr_text.empty() || addr_text.size() > 64) return std::nullopt;
  for (char c : addr_text) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':';
    if (!ok) return std::nullopt;  // no zone ids, no spaces, no names
  }
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(std::string(addr_text), ec);
  if (ec) return std::nullopt;
  const unsigned max = addr.is_v4() ? 32 : 128;

  unsigned prefix = max;
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3) return std::nullopt;
    prefix = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return std::nullopt;
      prefix = prefix * 10 + static_cast<unsigned>(c - '0');
    }
    if (prefix > max) return std::nullopt;
  }

  // Host bits are cleared: "127.0.0.1/8" means 127.0.0.0/8.
  Cidr c;
  c.prefix_ = prefix;
  if (addr.is_v4()) {
    std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
    c.base_ = boost::asio::ip::address_v4(addr.to_v4().to_uint() & mask);
  } else {
    auto b = addr.to_v6().to_bytes();
    for (unsigned i = 0; i < 16; ++i) {
      unsigned bits_here = prefix > i * 8 ? std::min(8u, prefix - i * 8) : 0;
      b[i] &= static_cast<unsigned char>(bits_here == 0 ? 0 : 0xff << (8 - bits_here));
    }
    c.base_ = boost::asio::ip::address_v6(b);
  }
  return c;
}

bool Cidr::contains(const boost::asio::ip::address& a) const noexcept {
  if (a.is_v4() != base_.is_v4()) return false;
  if (a.is_v4()) return v4_in(a.to_v4().to_uint(), base_.to_v4().to_uint(), prefix_);
  const auto x = a.to_v6().to_bytes();
  const auto net = base_.to_v6().to_bytes();
  return bytes_in(x.data(), net.data(), prefix_);
}

std::string Cidr::to_string() const { return base_.to_string() + "/" + std::to_string(prefix_); }

}  // namespace asyncfetch
