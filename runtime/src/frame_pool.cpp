#include <array>
#include <new>
#include <utility>

#include "runtime/detail/asan.hpp"
#include "runtime/detail/frame_pool.hpp"

namespace runtime::detail {
namespace {

// Under AddressSanitizer frames go straight to malloc (see asan.hpp).
constexpr bool kPooled = !kAddressSanitizer;

constexpr std::size_t kGrain = 64;
constexpr std::size_t kClasses = 16;  // blocks up to 16 * 64 = 1 KiB
constexpr std::size_t kBytesPerClass = 256 * 1024;

struct FreeBlock {
  FreeBlock* next;
};

struct Pool {
  std::array<FreeBlock*, kClasses> head{};
  std::array<std::size_t, kClasses> count{};

  ~Pool() {
    for (auto* h : head) {
      while (h) ::operator delete(std::exchange(h, h->next));
    }
    destroyed = true;
  }
  // Set once this thread's pool is gone (thread exit): a frame freed after
  // that goes straight back to malloc.
  static thread_local bool destroyed;
};
thread_local bool Pool::destroyed = false;
thread_local Pool pool;

std::size_t size_class(std::size_t n) noexcept { return (n + kGrain - 1) / kGrain - 1; }

}  // namespace

void* FramePool::allocate(std::size_t n) {
  const std::size_t c = size_class(n);
  if (c >= kClasses) return ::operator new(n);
  if (kPooled && !Pool::destroyed) {
    if (FreeBlock* b = pool.head[c]) {
      pool.head[c] = b->next;
      --pool.count[c];
      return b;
    }
  }
  // The whole class size even when this thread's pool is gone (thread exit):
  // the block may be freed into another thread's pool, where the next frame
  // of its class takes it. (Unpooled, the exact size, for ASan to check.)
  return ::operator new(kPooled ? (c + 1) * kGrain : n);
}

bool FramePool::pooled() noexcept { return kPooled; }

void FramePool::deallocate(void* p, std::size_t n) noexcept {
  const std::size_t c = size_class(n);
  if (kPooled && c < kClasses && !Pool::destroyed && pool.count[c] < kBytesPerClass / ((c + 1) * kGrain)) {
    auto* b = static_cast<FreeBlock*>(p);
    b->next = pool.head[c];
    pool.head[c] = b;
    ++pool.count[c];
    return;
  }
  ::operator delete(p);
}

}  // namespace runtime::detail
