// Random bytes for trace, parent and request ids.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace asyncfetch::ids {

// From a per-thread std::mt19937_64 seeded from std::random_device (256 bits):
// no lock, no system call per id.
void fill_random(std::span<std::uint8_t> out);

// Two lower-case hex digits per byte, appended.
void append_hex(std::string& out, std::span<const std::uint8_t> bytes);

}  // namespace asyncfetch::ids
