// A forward proxy's answer to CONNECT, judged from the bytes received so far.
// Pure: the fetcher reads from the proxy and asks after every read; the fuzz
// target feeds it bytes directly. The answer is parsed as Beast's response
// parser does it, its body skipped: a 2xx answer has none (the tunnel
// follows), and a refusal's body is not read.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace asyncfetch {

// A CONNECT answer is a status line and a few fields: 16 KiB is plenty.
inline constexpr std::size_t max_connect_answer_bytes = 16 * 1024;

struct ConnectAnswer {
  enum class Kind {
    need_more,          // no complete answer yet: read on
    tunnel_open,        // a 2xx answer and nothing after it: TLS to the target may begin
    refused,            // a complete answer that is not 2xx
    not_http,           // not an HTTP response, or the proxy closed before its head ended
    data_after_answer,  // a 2xx answer followed by bytes, before the client has spoken in the tunnel
    too_big,            // no end of the head within the limit
  };
  Kind kind = Kind::need_more;
  unsigned status = 0;         // tunnel_open, refused, data_after_answer
  std::string reason;          // refused: the reason phrase
  std::string why;             // not_http, too_big: the parser's account ("bad version", "header limit exceeded")
  std::size_t head_bytes = 0;  // tunnel_open, refused, data_after_answer: the size of the answer's head
};

// `received`: every byte the proxy sent after the CONNECT request; `closed`:
// the proxy closed its end after them. Looks only at the first `limit` bytes.
ConnectAnswer judge_connect_answer(std::string_view received, bool closed,
                                   std::size_t limit = max_connect_answer_bytes);

std::string_view to_string(ConnectAnswer::Kind kind);

}  // namespace asyncfetch
