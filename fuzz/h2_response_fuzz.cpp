// bytes -> the fetcher's HTTP/2 client session (service/fetch/src/h2/session.cpp,
// with nghttp2 and the fetcher's CappedBody) as a hostile server's frames,
// after three requests (GET, HEAD, POST) were submitted on streams 1, 3, 5,
// the GET's and POST's bodies decoded as the fetcher decodes them.
// Fed in chunks, with the client's frames produced (and dropped) in between, as
// the connection does. Must never crash, hang or keep more than the cap; every
// stream is handed back as closed exactly once (fail_all at the end closes
// what the bytes left open), and each one's outcome is consistent.
//
// Byte 0: bits 0..2 = the body cap; bits 3..6 = chunk size; bit 7 = keep the
// bodies. The rest is what the server sends (its SETTINGS first).
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "h2/session.hpp"

using namespace asyncfetch;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  static constexpr std::uint64_t caps[8] = {0, 1, 7, 64, 1000, 4096, 65536, 1 << 20};
  static constexpr std::size_t chunks[16] = {1, 2, 3, 5, 8, 9, 13, 64, 100, 512, 1000, 4096, 8192, 16384, 65536, 7};
  const std::uint64_t cap = caps[flags & 7];
  const std::size_t chunk = chunks[(flags >> 3) & 15];
  const bool keep = flags & 0x80;

  h2::Session session({.max_header_bytes = 4096});
  std::vector<h2::StreamState> streams(3);
  std::vector<std::vector<H2Field>> requests(streams.size());  // as long as their streams: not copied by submit()
  const char* methods[] = {"GET", "HEAD", "POST"};
  for (std::size_t i = 0; i < streams.size(); ++i) {
    streams[i].max_body_bytes = cap;
    streams[i].keep_body = keep;
    streams[i].decode = i != 1;  // the GET and POST bodies are decoded (a Content-Encoding they carry)
    requests[i] = {{":method", methods[i]}, {":scheme", "https"}, {":authority", "example.com"}, {":path", "/"}};
    FUZZ_CHECK(session.submit(requests[i], streams[i]));
  }
  std::map<const h2::StreamState*, int> closed;
  auto collect = [&] {
    for (auto* s : session.take_closed()) ++closed[s];
  };
  std::string out;
  session.produce(out);

  const auto* in = data + 1;
  std::size_t left = size - 1;
  while (left > 0 && !session.finished()) {
    const std::size_t n = std::min(chunk, left);
    const bool ok = session.receive(in, n);
    in += n;
    left -= n;
    out.clear();
    session.produce(out);
    collect();
    if (!ok) break;
  }
  session.fail_all(FetchError::protocol_error, "fuzz input over");
  collect();

  FUZZ_CHECK(session.open_streams() == 0);
  for (const auto& s : streams) {
    FUZZ_CHECK(closed[&s] == 1);
    const auto& body = s.message.body();
    FUZZ_CHECK(body.received <= cap);
    FUZZ_CHECK(body.data.size() == (keep ? body.received : 0));
    if (s.error == FetchError::too_large) FUZZ_CHECK(body.truncated && body.received == cap);
    if (!s.error) FUZZ_CHECK(s.head_done && s.complete && s.message.result_int() >= 200);
    if (s.refused) FUZZ_CHECK(s.error == FetchError::protocol_error);
    FUZZ_CHECK(s.head_bytes <= 4096 + 65536 * 2 + 4);
  }
  return 0;
}
