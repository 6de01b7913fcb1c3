// FramePool: blocks of up to 1 KiB, by 64-byte size class, kept per thread
// for reuse (up to 256 KiB per class and thread; the rest go back to malloc).
// The bottom frames of task threads come from it on the fast path
// (asio_path.hpp's ThreadBody).
#pragma once

#include <cstddef>

namespace runtime::detail {

struct FramePool {
  static void* allocate(std::size_t n);
  static void deallocate(void* p, std::size_t n) noexcept;
  static bool pooled() noexcept;  // false under AddressSanitizer: every frame to malloc
};

}  // namespace runtime::detail
