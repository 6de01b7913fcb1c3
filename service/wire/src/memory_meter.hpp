// Counts the memory a C library allocates through the hooks it offers (zlib's
// zalloc/zfree, Brotli's alloc_func/free_func): malloc with the size kept in
// front of each block, since the libraries' free hooks are not told it.
#pragma once

#include <cstddef>

namespace asyncfetch::codec {

class MemoryMeter {
 public:
  // nullptr when malloc fails: the libraries report that as their own error.
  void* allocate(std::size_t bytes) noexcept;
  void release(void* block) noexcept;  // nullptr is ignored

  std::size_t current_bytes() const noexcept { return current_; }
  std::size_t peak_bytes() const noexcept { return peak_; }

 private:
  std::size_t current_ = 0;
  std::size_t peak_ = 0;
};

}  // namespace asyncfetch::codec
