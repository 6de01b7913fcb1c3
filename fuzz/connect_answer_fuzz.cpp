// bytes -> judge_connect_answer, the fetcher's judgement of a forward proxy's
// answer to CONNECT. Never crashes; every outcome is consistent with the
// bytes: a tunnel only on a 2xx head that is all of the input, a refusal only
// on a complete non-2xx head, "need more" only while the proxy is open and
// under the limit, a complete head judged the same when it arrives alone and
// read on (never judged) one byte short; fed one more byte at a time, as a
// socket may deliver it, the first outcome that is not "need more" is the
// one the whole input gets up to there.
//
// Byte 0: bit 0 = the proxy closed after the bytes; bit 1 = a 64-byte limit
// instead of max_connect_answer_bytes (to reach "too big" often). The rest is
// what the proxy sent.
#include <cstdint>
#include <string_view>

#include "asyncfetch/wire/connect_answer.hpp"
#include "fuzz_check.hpp"

using namespace asyncfetch;
using Kind = ConnectAnswer::Kind;

namespace {

bool same(const ConnectAnswer& a, const ConnectAnswer& b) {
  return a.kind == b.kind && a.status == b.status && a.reason == b.reason && a.why == b.why &&
         a.head_bytes == b.head_bytes;
}

bool complete(Kind k) { return k == Kind::tunnel_open || k == Kind::refused || k == Kind::data_after_answer; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool closed = data[0] & 1;
  const std::size_t limit = (data[0] & 2) ? 64 : max_connect_answer_bytes;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  const ConnectAnswer a = judge_connect_answer(in, closed, limit);
  FUZZ_CHECK(same(a, judge_connect_answer(in, closed, limit)));
  switch (a.kind) {
    case Kind::need_more:
      FUZZ_CHECK(!closed);
      FUZZ_CHECK(in.size() < limit);
      break;
    case Kind::tunnel_open:
      FUZZ_CHECK(a.status >= 200 && a.status <= 299);
      FUZZ_CHECK(a.head_bytes == in.size());
      break;
    case Kind::data_after_answer:
      FUZZ_CHECK(a.status >= 200 && a.status <= 299);
      FUZZ_CHECK(a.head_bytes < in.size());
      break;
    case Kind::refused:
      FUZZ_CHECK(a.status >= 100 && a.status <= 599);
      FUZZ_CHECK(a.status < 200 || a.status > 299);
      FUZZ_CHECK(a.head_bytes <= in.size());
      break;
    case Kind::not_http:
      FUZZ_CHECK(!a.why.empty());
      break;
    case Kind::too_big:
      FUZZ_CHECK(!a.why.empty());
      FUZZ_CHECK(in.size() >= limit);
      break;
  }
  FUZZ_CHECK(!to_string(a.kind).empty());
  if (complete(a.kind)) {
    FUZZ_CHECK(a.head_bytes > 0 && a.head_bytes <= limit);
    // The head alone: the same status, and a tunnel when it was a 2xx answer.
    const std::string_view head = in.substr(0, a.head_bytes);
    const ConnectAnswer alone = judge_connect_answer(head, false, limit);
    FUZZ_CHECK(alone.status == a.status);
    FUZZ_CHECK(alone.kind == (a.kind == Kind::refused ? Kind::refused : Kind::tunnel_open));
    FUZZ_CHECK(alone.head_bytes == a.head_bytes);
    // One byte short, it is still being read.
    FUZZ_CHECK(judge_connect_answer(head.substr(0, head.size() - 1), false, limit).kind == Kind::need_more);
  }
  if (a.kind != Kind::need_more && in.size() <= 512) {
    // Grown a byte at a time (the proxy still open): reading stops at the
    // first judgement, and the rest of the input is what came after it.
    for (std::size_t n = 0; n <= in.size(); ++n) {
      const ConnectAnswer part = judge_connect_answer(in.substr(0, n), false, limit);
      if (part.kind == Kind::need_more) continue;
      if (complete(part.kind)) {
        FUZZ_CHECK(part.head_bytes == n);
        FUZZ_CHECK(part.kind != Kind::data_after_answer);
        if (complete(a.kind)) FUZZ_CHECK(part.status == a.status && part.head_bytes == a.head_bytes);
      }
      break;
    }
  }
  return 0;
}
