// gzip and deflate through zlib's inflate.
// next_in is const: inflate never writes the input.
#define ZLIB_CONST
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <new>
#include <stdexcept>

#include "codec.hpp"
#include "memory_meter.hpp"

namespace asyncfetch::codec {
namespace {

constexpr int window_bits = 15;  // 32 KiB, deflate's largest
constexpr int gzip_or_zlib = window_bits + 32;
constexpr int gzip_only = window_bits + 16;
constexpr int raw_deflate = -window_bits;

// The checks inflate makes of a zlib header (RFC 1950 §2.2): method 8, a window
// of at most 32 KiB, and the header check bits.
bool is_zlib_header(unsigned char cmf, unsigned char flg) noexcept {
  return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
}

bool is_gzip_magic(unsigned char b0, unsigned char b1) noexcept { return b0 == 0x1f && b1 == 0x8b; }

class ZlibCodec final : public Codec {
 public:
  explicit ZlibCodec(ContentCoding coding) : multi_member_(coding == ContentCoding::gzip) {
    stream_.zalloc = [](voidpf meter, uInt items, uInt size) -> voidpf {
      if (size != 0 && items > static_cast<std::size_t>(-1) / size) return Z_NULL;
      return static_cast<MemoryMeter*>(meter)->allocate(static_cast<std::size_t>(items) * size);
    };
    stream_.zfree = [](voidpf meter, voidpf block) { static_cast<MemoryMeter*>(meter)->release(block); };
    stream_.opaque = &meter_;
    // gzip is always a zlib-wrapped stream; deflate waits for two bytes to
    // tell a zlib or gzip header from raw deflate.
    if (coding == ContentCoding::gzip) start(gzip_or_zlib);
  }

  ~ZlibCodec() override {
    if (started_) inflateEnd(&stream_);
  }

  ZlibCodec(const ZlibCodec&) = delete;
  ZlibCodec& operator=(const ZlibCodec&) = delete;

  bool decode(std::span<const std::byte>& in, std::span<std::byte>& out) override {
    if (!started_) {
      while (head_size_ < 2 && !in.empty()) {
        head_[head_size_++] = in.front();
        in = in.subspan(1);
        taken_any_ = true;
      }
      if (head_size_ < 2) return true;
      const auto b0 = static_cast<unsigned char>(head_[0]);
      const auto b1 = static_cast<unsigned char>(head_[1]);
      // Raw deflate never begins like these: a zlib header's low nibble 8 would
      // be a non-final stored block with padding bits set, 0x1f a reserved
      // block type.
      start(is_zlib_header(b0, b1) || is_gzip_magic(b0, b1) ? gzip_or_zlib : raw_deflate);
      held_ = std::span<const std::byte>(head_, 2);
    }
    if (!held_.empty()) {
      if (!inflate_some(held_, out)) return false;
      if (!held_.empty()) return true;  // out is full
    }
    return inflate_some(in, out);
  }

  bool at_end_of_stream() const noexcept override { return !taken_any_ || stream_ended_; }

  std::size_t peak_memory_bytes() const noexcept override { return meter_.peak_bytes(); }

 private:
  void start(int bits) {
    const int r = inflateInit2(&stream_, bits);
    if (r == Z_MEM_ERROR) throw std::bad_alloc();
    if (r != Z_OK) throw std::logic_error("inflateInit2 failed");
    started_ = true;
  }

  bool inflate_some(std::span<const std::byte>& in, std::span<std::byte>& out) {
    while (true) {
      if (stream_ended_) {
        if (in.empty()) return true;
        if (!multi_member_) return false;  // bytes after the end of the stream
        // Another gzip member (RFC 1952 §2.2); anything else is corrupt.
        if (inflateReset2(&stream_, gzip_only) != Z_OK) return false;
        stream_ended_ = false;
      }
      const auto in_size = static_cast<uInt>(std::min<std::size_t>(in.size(), UINT_MAX));
      const auto out_size = static_cast<uInt>(std::min<std::size_t>(out.size(), UINT_MAX));
      stream_.next_in = reinterpret_cast<const Bytef*>(in.data());
      stream_.avail_in = in_size;
      stream_.next_out = reinterpret_cast<Bytef*>(out.data());
      stream_.avail_out = out_size;
      const int r = inflate(&stream_, Z_NO_FLUSH);
      if (stream_.avail_in != in_size) taken_any_ = true;
      in = in.subspan(in_size - stream_.avail_in);
      out = out.subspan(out_size - stream_.avail_out);
      switch (r) {
        case Z_STREAM_END:
          stream_ended_ = true;
          break;
        case Z_OK:
          if (in.empty() || out.empty()) return true;
          break;
        case Z_BUF_ERROR:  // no progress possible: nothing more to read or no room to write
          return true;
        case Z_MEM_ERROR:
          throw std::bad_alloc();
        default:  // Z_DATA_ERROR, Z_NEED_DICT (no dictionary is ever set)
          return false;
      }
    }
  }

  const bool multi_member_;
  MemoryMeter meter_;
  z_stream stream_{};
  bool started_ = false;
  bool stream_ended_ = false;  // at the end of a zlib stream or gzip member
  bool taken_any_ = false;
  std::byte head_[2]{};  // deflate's first two bytes, held until the format is known
  std::size_t head_size_ = 0;
  std::span<const std::byte> held_;  // of head_, not yet inflated
};

}  // namespace

std::unique_ptr<Codec> make_zlib_codec(ContentCoding coding) { return std::make_unique<ZlibCodec>(coding); }

}  // namespace asyncfetch::codec
