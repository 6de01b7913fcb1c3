// br through libbrotlidec's streaming decoder.
#include <brotli/decode.h>

#include <cstdint>
#include <new>

#include "codec.hpp"
#include "memory_meter.hpp"

namespace asyncfetch::codec {
namespace {

bool is_allocation_failure(BrotliDecoderErrorCode code) noexcept {
  switch (code) {
    case BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES:
    case BROTLI_DECODER_ERROR_ALLOC_TREE_GROUPS:
    case BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MAP:
    case BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_1:
    case BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_2:
    case BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES:
      return true;
    default:
      return false;
  }
}

class BrotliCodec final : public Codec {
 public:
  BrotliCodec()
      : state_(BrotliDecoderCreateInstance(
            [](void* meter, std::size_t size) { return static_cast<MemoryMeter*>(meter)->allocate(size); },
            [](void* meter, void* block) { static_cast<MemoryMeter*>(meter)->release(block); }, &meter_)) {
    if (state_ == nullptr) throw std::bad_alloc();
  }

  ~BrotliCodec() override { BrotliDecoderDestroyInstance(state_); }

  BrotliCodec(const BrotliCodec&) = delete;
  BrotliCodec& operator=(const BrotliCodec&) = delete;

  bool decode(std::span<const std::byte>& in, std::span<std::byte>& out) override {
    if (ended_) return in.empty();  // one stream per body
    std::size_t avail_in = in.size();
    auto* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
    std::size_t avail_out = out.size();
    auto* next_out = reinterpret_cast<std::uint8_t*>(out.data());
    const BrotliDecoderResult r =
        BrotliDecoderDecompressStream(state_, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    if (avail_in != in.size()) taken_any_ = true;
    in = in.subspan(in.size() - avail_in);
    out = out.subspan(out.size() - avail_out);
    switch (r) {
      case BROTLI_DECODER_RESULT_SUCCESS:
        ended_ = true;
        return in.empty();
      case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
      case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
        return true;
      case BROTLI_DECODER_RESULT_ERROR:
        break;
    }
    if (is_allocation_failure(BrotliDecoderGetErrorCode(state_))) throw std::bad_alloc();
    return false;
  }

  bool at_end_of_stream() const noexcept override { return !taken_any_ || ended_; }

  std::size_t peak_memory_bytes() const noexcept override { return meter_.peak_bytes(); }

 private:
  MemoryMeter meter_;  // before state_: the decoder allocates through it from its creation on
  BrotliDecoderState* state_;
  bool ended_ = false;
  bool taken_any_ = false;
};

}  // namespace

std::unique_ptr<Codec> make_brotli_codec() { return std::make_unique<BrotliCodec>(); }

}  // namespace asyncfetch::codec
