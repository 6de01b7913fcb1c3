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
constexpr std::uint32_t skippable_magic_mask = 0xFFFFFFF0u;
constexpr std::uint32_t skippable_magic = 0x184D2A50u;

std::uint32_t magic_of(const std::byte* m) noexcept {
  return static_cast<std::uint32_t>(m[0]) | static_cast<std::uint32_t>(m[1]) << 8 |
         static_cast<std::uint32_t>(m[2]) << 16 | static_cast<std::uint32_t>(m[3]) << 24;
}

// The size of a frame's header (RFC 8878 §3.1.1.1): magic, descriptor, window
// descriptor, dictionary id, content size; a skippable frame's is its magic
// and length. Needs the first 5 bytes (4 for a skippable frame).
std::size_t frame_header_size(const std::byte* h) noexcept {
  if ((magic_of(h) & skippable_magic_mask) == skippable_magic) return 8;
  const auto fhd = static_cast<unsigned>(h[4]);
  const bool single_segment = (fhd >> 5) & 1u;
  constexpr std::size_t dict_id_size[] = {0, 1, 2, 4};
  constexpr std::size_t content_size_size[] = {0, 2, 4, 8};
  const unsigned fcs_flag = fhd >> 6;
  return 5 + (single_segment ? 0 : 1) + dict_id_size[fhd & 3u] +
         (fcs_flag == 0 && single_segment ? 1 : content_size_size[fcs_flag]);
}
constexpr std::size_t max_frame_header_size = 18;

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
        // A frame's header goes to the library in one piece, from its magic
        // on: libzstd 1.5.4, holding the first bytes of a header from an
        // earlier call, looks for the whole frame in the new input alone
        // (its single-pass shortcut) and reads the rest of the header there
        // as a frame of its own (a frame needing a dictionary then decoded
        // as an empty skippable one, or not, by where the input was cut).
        if (!gather_header(in)) return false;
        if (!header_complete()) return true;
        at_frame_start_ = false;
        held_ = std::span<const std::byte>(header_, header_size_);
        header_size_ = 0;
      }
      if (!held_.empty()) {
        if (!decompress(held_, out)) return false;
        if (!held_.empty()) return true;  // out is full
        if (at_frame_start_) continue;    // the header was the whole frame (an empty skippable one)
      }
      if (!decompress(in, out)) return false;
      if (!at_frame_start_ || in.empty()) return true;
      // A frame ended and the next one begins in `in`.
    }
  }

  bool at_end_of_stream() const noexcept override { return at_frame_start_ && header_size_ == 0; }

  std::size_t peak_memory_bytes() const noexcept override { return peak_; }

 private:
  // Moves bytes of the next frame's header from `in` to header_; false when
  // it is not a standard frame.
  bool gather_header(std::span<const std::byte>& in) noexcept {
    while (!in.empty()) {
      const std::size_t want = header_size_ < 4 ? 4 : header_size_ < 5 && !skippable() ? 5 : frame_header_size(header_);
      if (header_size_ == want) break;
      const std::size_t n = std::min(want - header_size_, in.size());
      std::copy_n(in.begin(), n, header_ + header_size_);
      header_size_ += n;
      in = in.subspan(n);
      if (header_size_ >= 4 && magic_of(header_) != ZSTD_MAGICNUMBER && !skippable()) return false;
    }
    return true;
  }
  bool skippable() const noexcept {
    return header_size_ >= 4 && (magic_of(header_) & skippable_magic_mask) == skippable_magic;
  }
  bool header_complete() const noexcept {
    return (header_size_ >= 5 || skippable()) && header_size_ == frame_header_size(header_);
  }

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
  std::byte header_[max_frame_header_size]{};  // a frame's header, gathered before the library sees it
  std::size_t header_size_ = 0;
  std::span<const std::byte> held_;  // of header_, not yet decompressed
};

}  // namespace

std::unique_ptr<Codec> make_zstd_codec() { return std::make_unique<ZstdCodec>(); }

}  // namespace asyncfetch::codec
