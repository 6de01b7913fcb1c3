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

// Trivially destructible, so that reaching it is a plain thread-local access:
// a thread_local with a destructor goes through an initialisation check on
// every use, and every Task frame comes through here.
struct Pool {
  std::array<FreeBlock*, kClasses> head;
  std::array<std::size_t, kClasses> count;
  bool cleaned_at_exit;  // the Cleaner below is registered
  bool destroyed;        // thread exit has emptied it: a frame freed later goes to malloc
};
constinit thread_local Pool pool{};

// Gives this thread's blocks back at its exit; made by the first block the
// pool keeps.
struct Cleaner {
  ~Cleaner() {
    for (auto& h : pool.head) {
      while (h) ::operator delete(std::exchange(h, h->next));
    }
    pool.count = {};
    pool.destroyed = true;
  }
};
void clean_at_exit() {
  static thread_local Cleaner cleaner;
  static_cast<void>(cleaner);
  pool.cleaned_at_exit = true;
}

std::size_t size_class(std::size_t n) noexcept { return (n + kGrain - 1) / kGrain - 1; }

}  // namespace

void* FramePool::allocate(std::size_t n) {
  const std::size_t c = size_class(n);
  if (c >= kClasses) return ::operator new(n);
  if (kPooled) {  // (an emptied pool at thread exit has no blocks)
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
  if (kPooled && c < kClasses && !pool.destroyed && pool.count[c] < kBytesPerClass / ((c + 1) * kGrain)) {
    if (!pool.cleaned_at_exit) [[unlikely]] clean_at_exit();
    auto* b = static_cast<FreeBlock*>(p);
    b->next = pool.head[c];
    pool.head[c] = b;
    ++pool.count[c];
    return;
  }
  ::operator delete(p);
}

}  // namespace runtime::detail
