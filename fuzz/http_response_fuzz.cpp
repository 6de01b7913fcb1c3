// bytes -> Beast's response parser set up as the fetcher sets it (64 KiB
// header limit, the fetcher's CappedBody at max_body_bytes or less, decoding
// the content codings it knows, HEAD skips the body), fed with put() in chunks
// the way a socket delivers them. Must never crash, hang or allocate without
// bound, nor keep or count more decoded bytes than the cap, nor report a
// decoding failure as anything else; a Location it yields goes through
// resolve_redirect.
//
// Byte 0: bit 0 = HEAD request; bits 1..3 = the body cap (max_body_bytes, or
// smaller); bits 4..7 = chunk size. The rest is the upstream's byte stream.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "asyncfetch/config.hpp"
#include "asyncfetch/wire/url.hpp"
#include "capped_body.hpp"

namespace beast = boost::beast;
namespace http = beast::http;

// Built with BOOST_ENABLE_ASSERT_DEBUG_HANDLER and the service's handler, as
// service/wire/src/beast_impl.cpp is: the one known-false assertion of Beast
// 1.81's chunked parser is let through, every other aborts.
#include "beast_assertion_handler.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const asyncfetch::Config config;
  static const asyncfetch::Url base = *asyncfetch::parse_url("https://example.com/dir/page?q=1");
  const std::uint8_t flags = data[0];
  const char* in = reinterpret_cast<const char*>(data) + 1;
  const std::size_t n = size - 1;

  static constexpr std::uint64_t caps[8] = {0, 1, 7, 64, 1000, 4096, 65536, 0};
  std::uint64_t cap = caps[(flags >> 1) & 7];
  if (cap == 0) cap = config.max_body_bytes;
  static constexpr std::size_t chunks[16] = {1, 2, 3, 5, 8, 13, 64, 100, 512, 1000, 1536, 4096, 8192, 65536, 1 << 20, 7};
  const std::size_t chunk = chunks[flags >> 4];

  http::response_parser<asyncfetch::CappedBody> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(boost::none);  // CappedBody enforces the cap
  parser.get().body().cap = cap;
  parser.get().body().keep = true;
  parser.get().body().decode = true;
  if (flags & 1) parser.skip(true);

  beast::flat_buffer buffer;
  std::size_t pos = 0;
  beast::error_code ec;
  bool starving = true;
  for (std::size_t rounds = 0; !parser.is_done(); ++rounds) {
    if (rounds > 4 * (n + 2)) {
      std::fprintf(stderr, "http_response_fuzz: parser makes no progress\n");
      std::abort();
    }
    if (starving || buffer.size() == 0) {
      if (pos == n) {  // the upstream closed the connection: what Beast's read does on eof
        if (parser.got_some()) {
          parser.put_eof(ec);
        } else {
          ec = http::error::end_of_stream;
        }
        break;
      }
      const std::size_t k = std::min(chunk, n - pos);
      auto b = buffer.prepare(k);
      std::memcpy(b.data(), in + pos, k);
      buffer.commit(k);
      pos += k;
    }
    ec = {};
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec && ec != http::error::need_more) break;
    starving = ec == http::error::need_more || used == 0;
  }

  if (parser.is_header_done()) {
    const auto& res = parser.get();
    volatile unsigned status = res.result_int();
    (void)status;
    (void)res.keep_alive();
    const auto& body = res.body();
    // A body the decoder does not touch is counted alike on both sides.
    const auto codings = asyncfetch::parse_content_encoding(asyncfetch::content_encoding_field(res));
    const bool passed_through = !codings || codings->empty();
    if (body.received > cap || body.data.size() != body.received || (body.truncated && ec != http::error::body_limit) ||
        (body.bad_encoding && (!ec || ec == http::error::body_limit)) ||
        (passed_through && body.wire_bytes != body.received)) {
      std::fprintf(stderr, "http_response_fuzz: body of %zu bytes (%llu counted) against the cap %llu\n",
                   body.data.size(), static_cast<unsigned long long>(body.received),
                   static_cast<unsigned long long>(cap));
      std::abort();
    }
    if (auto it = res.find(http::field::location); it != res.end()) {
      if (auto u = asyncfetch::resolve_redirect(base, std::string(it->value()))) {
        auto again = asyncfetch::parse_url(u->str());
        if (!again || again->str() != u->str()) std::abort();
      }
    }
  }
  return 0;
}
