// Whether this build runs under AddressSanitizer. The runtime's own block
// recycling (FramePool, the task states' allocator) steps aside then, so
// that ASan sees every block's lifetime: a recycled block is never freed,
// and a use after its end would go unseen.
#pragma once

namespace runtime::detail {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

}  // namespace runtime::detail
