// detail::FramePool: the per-thread free list behind task threads' bottom
// frames on the fast path (detail/asio_path.hpp).
#include <catch2/catch.hpp>

#include <malloc.h>

#include <thread>
#include <vector>

#include "runtime/detail/frame_pool.hpp"

using runtime::detail::FramePool;

namespace {
// AddressSanitizer builds hand every frame to malloc, which quarantines a
// freed block: there each test checks that nothing is reused instead.
const bool kPooled = FramePool::pooled();
}  // namespace

TEST_CASE("a freed frame is reused for the next one of its size class", "[frame_pool]") {
  void* a = FramePool::allocate(200);
  FramePool::deallocate(a, 200);
  void* b = FramePool::allocate(250);  // the same 64-byte class (193..256)
  if (kPooled) {
    CHECK(b == a);
  } else {
    CHECK(b != a);
  }
  FramePool::deallocate(b, 250);
  void* c = FramePool::allocate(300);  // another class: not that block
  if (kPooled) CHECK(c != b);
  FramePool::deallocate(c, 300);
}

TEST_CASE("a thread keeps up to 256 KiB of a class, reused last freed first", "[frame_pool]") {
  constexpr int kKept = 256 * 1024 / 256;  // 240 bytes is in the 256-byte class
  std::vector<void*> blocks;
  for (int i = 0; i < 2 * kKept; ++i) {
    auto* p = static_cast<unsigned char*>(FramePool::allocate(240));
    for (int k = 0; k < 240; ++k) p[k] = static_cast<unsigned char>(i);  // the whole block is ours
    blocks.push_back(p);
  }
  for (void* p : blocks) FramePool::deallocate(p, 240);  // the second half goes back to malloc
  std::vector<void*> again;
  for (int i = 0; i < kKept; ++i) again.push_back(FramePool::allocate(240));
  for (int i = 0; i < kKept; ++i) {
    if (kPooled) {
      REQUIRE(again[i] == blocks[kKept - 1 - i]);
    } else {
      REQUIRE(again[i] != blocks[kKept - 1 - i]);
    }
  }
  for (void* p : again) FramePool::deallocate(p, 240);
}

TEST_CASE("frames bigger than the largest class go to malloc", "[frame_pool]") {
  auto* p = static_cast<char*>(FramePool::allocate(5000));
  CHECK(malloc_usable_size(p) >= 5000);  // not a block of the largest class (1 KiB)
  p[4999] = 1;
  FramePool::deallocate(p, 5000);
  void* q = FramePool::allocate(1024);  // the largest class: its list did not take the big block
  CHECK(malloc_usable_size(q) < 5000);
  FramePool::deallocate(q, 1024);
}

TEST_CASE("a frame freed on another thread goes to that thread's list", "[frame_pool]") {
  void* a = FramePool::allocate(100);
  void* reused = nullptr;
  std::thread other([&] {
    FramePool::deallocate(a, 100);
    reused = FramePool::allocate(100);
    FramePool::deallocate(reused, 100);
  });  // the thread's pool is released when it exits
  other.join();
  if (kPooled) {
    CHECK(reused == a);
  } else {
    CHECK(reused != a);
  }
}

namespace {
// Made on a thread before its pool, so destroyed after it (thread_locals go
// in reverse order): the frame it allocates then comes from malloc.
void* late_frame = nullptr;
struct AllocatesAtThreadExit {
  ~AllocatesAtThreadExit() { late_frame = FramePool::allocate(200); }
};
thread_local AllocatesAtThreadExit at_exit;
}  // namespace

TEST_CASE("a frame allocated after its thread's pool is gone still fits its class elsewhere", "[frame_pool]") {
  std::thread other([] {
    (void)&at_exit;  // constructed first
    FramePool::deallocate(FramePool::allocate(64), 64);  // then this thread's pool
  });
  other.join();
  REQUIRE(late_frame != nullptr);
  FramePool::deallocate(late_frame, 200);  // into this thread's pool, class 193..256
  void* next = FramePool::allocate(256);   // the biggest frame of that class
  CHECK(malloc_usable_size(next) >= 256);
  FramePool::deallocate(next, 256);
}
