#include "memory_meter.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace asyncfetch::codec {
namespace {

// The size is kept in a prefix as large as malloc's alignment, so the block
// handed out stays aligned for any type.
constexpr std::size_t prefix = alignof(std::max_align_t);
static_assert(prefix >= sizeof(std::size_t));

}  // namespace

void* MemoryMeter::allocate(std::size_t bytes) noexcept {
  if (bytes > static_cast<std::size_t>(-1) - prefix) return nullptr;
  auto* raw = static_cast<unsigned char*>(std::malloc(prefix + bytes));
  if (raw == nullptr) return nullptr;
  std::memcpy(raw, &bytes, sizeof bytes);
  current_ += bytes;
  peak_ = std::max(peak_, current_);
  return raw + prefix;
}

void MemoryMeter::release(void* block) noexcept {
  if (block == nullptr) return;
  auto* raw = static_cast<unsigned char*>(block) - prefix;
  std::size_t bytes;
  std::memcpy(&bytes, raw, sizeof bytes);
  current_ -= bytes;
  std::free(raw);
}

}  // namespace asyncfetch::codec
