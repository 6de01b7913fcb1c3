#include "test_encoders.hpp"

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <stdexcept>
#include <vector>

namespace asyncfetch::test {

struct StreamEncoder::State {
  ContentCoding coding;
  std::string out;
  z_stream z{};
  BrotliEncoderState* br = nullptr;
  ZSTD_CCtx* zstd = nullptr;

  void deflate_all(const std::string_view data, int flush) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    char buf[16384];
    int r;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      r = ::deflate(&z, flush);
      if (r == Z_STREAM_ERROR) throw std::runtime_error("deflate failed");
      out.append(buf, sizeof buf - z.avail_out);
    } while (z.avail_out == 0 || (flush == Z_FINISH && r != Z_STREAM_END));
  }

  void brotli_all(const std::string_view data, BrotliEncoderOperation op) {
    std::size_t avail_in = data.size();
    auto* next_in = reinterpret_cast<const std::uint8_t*>(data.data());
    while (avail_in > 0 || BrotliEncoderHasMoreOutput(br) ||
           (op == BROTLI_OPERATION_FINISH && !BrotliEncoderIsFinished(br))) {
      std::uint8_t buf[16384];
      std::size_t avail_out = sizeof buf;
      std::uint8_t* next_out = buf;
      if (!BrotliEncoderCompressStream(br, op, &avail_in, &next_in, &avail_out, &next_out, nullptr))
        throw std::runtime_error("BrotliEncoderCompressStream failed");
      out.append(reinterpret_cast<char*>(buf), sizeof buf - avail_out);
    }
  }

  void zstd_all(const std::string_view data, ZSTD_EndDirective op) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    std::size_t left;
    do {
      char buf[16384];
      ZSTD_outBuffer o{buf, sizeof buf, 0};
      left = ZSTD_compressStream2(zstd, &o, &in, op);
      if (ZSTD_isError(left)) throw std::runtime_error(ZSTD_getErrorName(left));
      out.append(buf, o.pos);
    } while (in.pos < in.size || (op == ZSTD_e_end && left != 0));
  }
};

StreamEncoder::StreamEncoder(ContentCoding coding, const EncoderOptions& o) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.coding = coding;
  switch (coding) {
    case ContentCoding::gzip:
    case ContentCoding::deflate: {
      const Wrapper w = coding == ContentCoding::gzip ? Wrapper::gzip : o.deflate_wrapper;
      const int bits = w == Wrapper::gzip ? 15 + 16 : w == Wrapper::zlib ? 15 : -15;
      if (deflateInit2(&s.z, o.level, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2 failed");
      break;
    }
    case ContentCoding::br:
      s.br = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
      BrotliEncoderSetParameter(s.br, BROTLI_PARAM_QUALITY, static_cast<std::uint32_t>(o.level));
      BrotliEncoderSetParameter(s.br, BROTLI_PARAM_LGWIN, static_cast<std::uint32_t>(o.brotli_lgwin));
      break;
    case ContentCoding::zstd:
      s.zstd = ZSTD_createCCtx();
      ZSTD_CCtx_setParameter(s.zstd, ZSTD_c_compressionLevel, o.level);
      if (o.zstd_window_log != 0) ZSTD_CCtx_setParameter(s.zstd, ZSTD_c_windowLog, o.zstd_window_log);
      ZSTD_CCtx_setParameter(s.zstd, ZSTD_c_checksumFlag, o.zstd_checksum ? 1 : 0);
      break;
  }
}

StreamEncoder::~StreamEncoder() {
  State& s = *state_;
  if (s.coding == ContentCoding::gzip || s.coding == ContentCoding::deflate) deflateEnd(&s.z);
  if (s.br != nullptr) BrotliEncoderDestroyInstance(s.br);
  if (s.zstd != nullptr) ZSTD_freeCCtx(s.zstd);
}

void StreamEncoder::add(std::string_view data) {
  State& s = *state_;
  switch (s.coding) {
    case ContentCoding::gzip:
    case ContentCoding::deflate:
      s.deflate_all(data, Z_NO_FLUSH);
      break;
    case ContentCoding::br:
      s.brotli_all(data, BROTLI_OPERATION_PROCESS);
      break;
    case ContentCoding::zstd:
      s.zstd_all(data, ZSTD_e_continue);
      break;
  }
}

std::string StreamEncoder::finish() {
  State& s = *state_;
  switch (s.coding) {
    case ContentCoding::gzip:
    case ContentCoding::deflate:
      s.deflate_all({}, Z_FINISH);
      break;
    case ContentCoding::br:
      s.brotli_all({}, BROTLI_OPERATION_FINISH);
      break;
    case ContentCoding::zstd:
      s.zstd_all({}, ZSTD_e_end);
      break;
  }
  return std::move(s.out);
}

std::string encode(ContentCoding coding, std::string_view data, const EncoderOptions& options) {
  StreamEncoder e(coding, options);
  e.add(data);
  return e.finish();
}

std::string encode_zeros(ContentCoding coding, std::uint64_t bytes, const EncoderOptions& options) {
  StreamEncoder e(coding, options);
  const std::string zeros(1 << 20, '\0');
  for (std::uint64_t left = bytes; left > 0;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, zeros.size()));
    e.add(std::string_view(zeros).substr(0, n));
    left -= n;
  }
  return e.finish();
}

std::string sample_body(std::size_t bytes) {
  static const char* const words[] = {"fetch", "the", "upstream", "answered", "with", "a", "body", "of",
                                      "gzip", "zstd", "brotli", "deflate", "window", "frame", "member", "\n"};
  std::mt19937 rng(20240601);
  std::string s;
  s.reserve(bytes + 64);
  while (s.size() < bytes) {
    switch (rng() % 8) {
      case 0:  // incompressible stretch
        for (int i = 0; i < 300; ++i) s.push_back(static_cast<char>(rng()));
        break;
      case 1:  // a run
        s.append(rng() % 200, static_cast<char>('a' + rng() % 26));
        break;
      case 2:
        s += std::to_string(rng());
        break;
      default:
        s += words[rng() % std::size(words)];
        s.push_back(' ');
    }
  }
  s.resize(bytes);
  return s;
}

}  // namespace asyncfetch::test
