// zstd through libzstd's streaming decoder.
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cstdint>
#include <new>
#include <stdexcept>

#include "codec.hpp"

namespace asyncfetch::codec {
namespace {

// 8 MiB: RFC 9659 §3 limits the zstd content coding's window to this, and
// browsers refuse larger ones. The library's default limit is 128 MiB.
constexpr int max_window_log = 23;

// RFC 8878 §3: a zstd frame, or a skippable frame (magic 0x184D2A50..5F). The
// library also decodes the pre-standard "legacy" formats, whose frames it
// sizes without windowLogMax: a 14-byte v0.7 frame makes it allocate 128 MiB.
// Only the two standard magics are let through.
bool is_standard_frame_magic(const std::byte (&m)[4]) noexcept {
  const std::uint32_t magic = static_cast<std::uint32_t>(m[0]) | static_cast<std::uint32_t>(m[1]) << 8 |
                              static_cast<std::uint32_t>(m[2]) << 16 | static_cast<std::uint32_t>(m[3]) << 24;
  return magic == ZSTD_MAGICNUMBER || (magic & 0xFFFFFFF0u) == 0x184D2A50u;
}

class ZstdCodec final : public Codec {
 public:
  ZstdCodec() : ctx_(ZSTD_createDCtx()) {
    if (ctx_ == nullptr) throw std::bad_alloc();
    if (ZSTD_isError(ZSTD_DCtx_setParameter(ctx_, ZSTD_d_windowLogMax, max_window_log))) {
      ZSTD_freeDCtx(ctx_);
      throw std::logic_error("ZSTD_d_windowLogMax refused");
    }
    peak_ = ZSTD_sizeof_DCtx(ctx_);
  }

  ~ZstdCodec() override { ZSTD_freeDCtx(ctx_); }

  ZstdCodec(const ZstdCodec&) = delete;
  ZstdCodec& operator=(const ZstdCodec&) = delete;

  bool decode(std::span<const std::byte>& in, std::span<std::byte>& out) override {
    while (true) {
      if (at_frame_start_) {
        while (magic_size_ < 4 && !in.empty()) {
          magic_[magic_size_++] = in.front();
          in = in.subspan(1);
        }
        if (magic_size_ < 4) return true;
        if (!is_standard_frame_magic(magic_)) return false;
        at_frame_start_ = false;
        magic_size_ = 0;
        held_ = std::span<const std::byte>(magic_, 4);
      }
      if (!held_.empty()) {
        if (!decompress(held_, out)) return false;
        if (!held_.empty()) return true;  // out is full
      }
      if (!decompress(in, out)) return false;
      if (!at_frame_start_ || in.empty()) return true;
      // A frame ended and the next one begins in `in`.
    }
  }

  bool at_end_of_stream() const noexcept override { return at_frame_start_ && magic_size_ == 0; }

  std::size_t peak_memory_bytes() const noexcept override { return peak_; }

 private:
  // Runs the library until `in` is empty, `out` is full, or the frame ends.
  bool decompress(std::span<const std::byte>& in, std::span<std::byte>& out) {
    ZSTD_inBuffer src{in.data(), in.size(), 0};
    ZSTD_outBuffer dst{out.data(), out.size(), 0};
    bool valid = true;
    while (true) {
      const std::size_t before_in = src.pos;
      const std::size_t before_out = dst.pos;
      const std::size_t r = ZSTD_decompressStream(ctx_, &dst, &src);
      if (ZSTD_isError(r)) {
        if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation) throw std::bad_alloc();
        valid = false;
        break;
      }
      if (r == 0) {  // the frame is decoded and all its output written
        at_frame_start_ = true;
        break;
      }
      if (src.pos == src.size || dst.pos == dst.size) break;
      if (src.pos == before_in && dst.pos == before_out) break;  // the caller's stall check reports it
    }
    in = in.subspan(src.pos);
    out = out.subspan(dst.pos);
    peak_ = std::max(peak_, ZSTD_sizeof_DCtx(ctx_));
    return valid;
  }

  ZSTD_DCtx* ctx_;
  std::size_t peak_ = 0;
  bool at_frame_start_ = true;
  std::byte magic_[4]{};  // a frame's first four bytes, held until checked
  std::size_t magic_size_ = 0;
  std::span<const std::byte> held_;  // of magic_, not yet decompressed
};

}  // namespace

std::unique_ptr<Codec> make_zstd_codec() { return std::make_unique<ZstdCodec>(); }

}  // namespace asyncfetch::codec
