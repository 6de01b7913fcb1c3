#include "random_bytes.hpp"

#include <array>
#include <random>

namespace asyncfetch::ids {
namespace {

std::mt19937_64& engine() {
  thread_local std::mt19937_64 e = [] {
    std::random_device device;
    std::array<std::random_device::result_type, 8> seed{};
    for (auto& s : seed) s = device();
    std::seed_seq seq(seed.begin(), seed.end());
    return std::mt19937_64(seq);
  }();
  return e;
}

}  // namespace

void fill_random(std::span<std::uint8_t> out) {
  std::mt19937_64& e = engine();
  for (std::size_t i = 0; i < out.size(); i += 8) {
    std::uint64_t word = e();
    for (std::size_t j = i; j < out.size() && j < i + 8; ++j, word >>= 8) out[j] = static_cast<std::uint8_t>(word);
  }
}

void append_hex(std::string& out, std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  // Sized once and written in place: a push_back per digit (two ids per
  // fetch) was 3 % of a fetch's instructions.
  const std::size_t at = out.size();
  out.resize(at + 2 * bytes.size());
  char* p = out.data() + at;
  for (std::uint8_t b : bytes) {
    *p++ = digits[b >> 4];
    *p++ = digits[b & 0x0f];
  }
}

}  // namespace asyncfetch::ids
