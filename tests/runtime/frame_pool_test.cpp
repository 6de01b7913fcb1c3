// detail::FramePool: the per-thread free list behind task threads' bottom
// frames (detail/thread_frame.hpp).
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "runtime/detail/thread_frame.hpp"

using runtime::detail::FramePool;

namespace {
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kPooled = false;  // AddressSanitizer builds hand every frame to malloc
#else
constexpr bool kPooled = true;
#endif
}  // namespace

TEST_CASE("a freed frame is reused for the next one of its size class", "[frame_pool]") {
  void* a = FramePool::allocate(200);
  FramePool::deallocate(a, 200);
  void* b = FramePool::allocate(250);  // the same 64-byte class (193..256)
  if (kPooled) CHECK(b == a);
  void* c = FramePool::allocate(300);  // another class: not that block
  CHECK(c != b);
  FramePool::deallocate(b, 250);
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
  if (kPooled) {
    for (int i = 0; i < kKept; ++i) REQUIRE(again[i] == blocks[kKept - 1 - i]);
  }
  for (void* p : again) FramePool::deallocate(p, 240);
}

TEST_CASE("frames bigger than the largest class go to malloc", "[frame_pool]") {
  auto* p = static_cast<char*>(FramePool::allocate(5000));
  p[4999] = 1;
  FramePool::deallocate(p, 5000);
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
  if (kPooled) CHECK(reused == a);
}
