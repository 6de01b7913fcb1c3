// Session: the client side of one HTTP/2 connection as nghttp2 keeps it, with
// no I/O of its own: bytes from the server go in with receive(), the frames to
// write come out of produce(), and the streams that ended since the last look
// come out of take_closed(). The connection (connection.hpp) moves the bytes;
// the fuzzer feeds it a hostile server's frames directly.
//
// Each stream's answer is a StreamState that the caller owns and keeps alive
// until the session hands it back as closed (or fail_all() has run): status,
// fields and body go into a Beast response with the fetcher's CappedBody, so
// the body follows the same rule as over HTTP/1.1 (counted, kept up to the cap,
// too_large past it). nghttp2 does the flow control: each DATA frame counts as
// consumed once its bytes are stored, and the windows are reopened as they go.
#pragma once

#include <boost/beast/http/message.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "asyncfetch/wire/fetch_error.hpp"
#include "asyncfetch/wire/h2_request_headers.hpp"
#include "capped_body.hpp"

struct nghttp2_session;

namespace asyncfetch::h2 {

struct StreamState {
  // Set by the caller before submit().
  std::uint64_t max_body_bytes = 0;
  bool keep_body = false;  // keep the body's bytes (include_body)
  bool decode = false;     // undo the content codings CappedBody knows
  std::string request_body;  // sent in DATA frames as flow control allows

  // Filled in by the session.
  std::int32_t id = 0;
  std::size_t request_body_sent = 0;
  boost::beast::http::response<CappedBody> message;
  std::size_t head_bytes = 0;  // of the head being read, counted as HTTP/1.1 would
  bool head_done = false;      // the final (non-1xx) response head arrived
  std::optional<std::chrono::steady_clock::time_point> head_at;  // when it did (include_timings' ttfb)
  bool complete = false;       // and the whole body (END_STREAM)
  std::optional<FetchError> error;
  std::string detail;
  // The server did not process the request (REFUSED_STREAM, or a stream above
  // a GOAWAY's last stream id): it may be sent again on another connection.
  bool refused = false;
  std::optional<CappedBody::reader> body;  // from the end of the head on
};

class Session {
 public:
  struct Limits {
    std::size_t max_header_bytes = 64 * 1024;  // one response head, as HTTP/1.1's parser limits it
  };
  explicit Session(Limits limits);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Queues a request, with `s.request_body` when it has one; false (with
  // `s.error` set) when nghttp2 refuses it. `headers` (names in lower case)
  // are not copied: like `s`, they stay until the stream is handed back.
  bool submit(const std::vector<H2Field>& headers, StreamState& s);
  // Ends a stream that is still open with RST_STREAM(CANCEL); `s` is then
  // closed with `reason` as its error.
  void cancel(StreamState& s, FetchError reason, std::string detail);

  // Bytes from the server. False when nghttp2 cannot go on at all (every
  // stream is then failed). A protocol error of the server's makes the
  // session queue a GOAWAY: produce() writes it and then fails the streams.
  bool receive(const std::uint8_t* data, std::size_t n);
  // Appends the frames to write now to `out`, up to about `max` bytes.
  // False after a fatal error of nghttp2's (its streams failed): the session
  // must not be asked again, since frames it still holds may point into
  // requests of streams now gone.
  bool produce(std::string& out, std::size_t max = 64 * 1024);
  // The streams that ended (in any way) since the last call.
  std::vector<StreamState*> take_closed();
  // The connection is gone: every open stream ends with `error`.
  void fail_all(FetchError error, const std::string& detail);
  // Sends GOAWAY(NO_ERROR) and ends the session once that is written (for a
  // connection closed while idle: open streams would be cut off).
  void shut_down();

  // nghttp2 has frames to write.
  bool wants_write() const;
  // Neither side has anything more to say (after GOAWAYs, or a connection error).
  bool finished() const;
  bool settings_received() const noexcept { return settings_received_; }
  bool goaway_received() const noexcept { return goaway_received_; }
  // What the server allows at once (100 until its SETTINGS say otherwise).
  std::uint32_t max_concurrent_streams() const;
  std::size_t open_streams() const noexcept { return streams_.size(); }
  // The last connection-level error, for logs ("" when none).
  const std::string& error() const noexcept { return error_; }

 private:
  struct Callbacks;
  friend struct Callbacks;
  void closed(std::int32_t id, std::uint32_t error_code);

  const Limits limits_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<std::int32_t, StreamState*> streams_;
  std::vector<StreamState*> closed_;
  bool settings_received_ = false;
  bool goaway_received_ = false;
  std::string error_;
};

}  // namespace asyncfetch::h2
