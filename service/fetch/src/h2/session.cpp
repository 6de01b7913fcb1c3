#include "h2/session.hpp"

#include <nghttp2/nghttp2.h>

#include <boost/asio/buffer.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <new>
#include <string_view>

namespace asyncfetch::h2 {

namespace {

// A server may send this much of a stream's body before we have read it; we
// read as it comes, so the window only bounds what one round trip carries.
constexpr std::int32_t stream_window = 1 << 20;
constexpr std::int32_t connection_window = 16 << 20;

void fail(StreamState& s, FetchError e, std::string detail) {
  if (s.error) return;  // the first reason stands
  s.error = e;
  s.detail = std::move(detail);
}

}  // namespace

// nghttp2's callbacks: C functions that must not throw, each a thin step into
// the session or the stream it names.
struct Session::Callbacks {
  static Session& self(void* user) { return *static_cast<Session*>(user); }

  static StreamState* stream(Session& s, std::int32_t id) {
    const auto it = s.streams_.find(id);
    return it == s.streams_.end() ? nullptr : it->second;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
                       const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* user) noexcept {
    try {
      Session& session = self(user);
      StreamState* s = frame->hd.type == NGHTTP2_HEADERS ? stream(session, frame->hd.stream_id) : nullptr;
      if (!s || s->error) return 0;
      // "name: value\r\n", as the head of an HTTP/1.1 answer counts against its limit.
      s->head_bytes += namelen + valuelen + 4;
      if (s->head_bytes > session.limits_.max_header_bytes) {
        fail(*s, FetchError::protocol_error,
             "response head over " + std::to_string(session.limits_.max_header_bytes) + " bytes");
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // nghttp2 resets the stream
      }
      if (s->head_done) return 0;  // a trailer: counted, not kept
      const std::string_view n(reinterpret_cast<const char*>(name), namelen);
      const std::string_view v(reinterpret_cast<const char*>(value), valuelen);
      if (n == ":status") {
        unsigned code = 0;  // nghttp2 has checked it is three digits
        std::from_chars(v.data(), v.data() + v.size(), code);
        // Three digits may still be no status (RFC 9110 15: 100..599; "051" would read as a final answer below 200).
        if (code < 100 || code > 599) {
          fail(*s, FetchError::protocol_error, "bad :status \"" + std::string(v) + "\"");
          return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // nghttp2 resets the stream
        }
        s->message.result(code);
      } else if (!n.empty() && n.front() != ':') {
        s->message.insert(n, v);
      }
      return 0;
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  static int on_frame_recv(nghttp2_session* ns, const nghttp2_frame* frame, void* user) noexcept {
    try {
      Session& session = self(user);
      switch (frame->hd.type) {
        case NGHTTP2_SETTINGS:
          if (!(frame->hd.flags & NGHTTP2_FLAG_ACK)) session.settings_received_ = true;
          return 0;
        case NGHTTP2_GOAWAY:
          // nghttp2 closes the streams above its last stream id as REFUSED_STREAM.
          session.goaway_received_ = true;
          return 0;
        case NGHTTP2_HEADERS:
        case NGHTTP2_DATA:
          break;
        default:
          return 0;
      }
      StreamState* s = stream(session, frame->hd.stream_id);
      if (!s) return 0;
      if (frame->hd.type == NGHTTP2_HEADERS && !s->head_done) end_of_head(ns, *s);
      if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) end_of_body(*s);
      return 0;
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  static void end_of_head(nghttp2_session* ns, StreamState& s) {
    if (s.error) return;
    if (s.message.result_int() / 100 == 1) {
      // An interim answer (100 Continue, 103 Early Hints): the real one follows.
      s.message.base() = {};
      s.head_bytes = 0;
      return;
    }
    s.head_done = true;
    s.head_at = std::chrono::steady_clock::now();
    s.body.emplace(s.message, s.message.body());
    boost::system::error_code ec;
    s.body->init(boost::none, ec);
    if (ec) {
      fail(s, FetchError::protocol_error, "body: " + ec.message());
      nghttp2_submit_rst_stream(ns, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_CANCEL);
    }
  }

  static void end_of_body(StreamState& s) {
    if (s.error || !s.head_done) return;
    s.complete = true;
    boost::system::error_code ec;
    s.body->finish(ec);
    if (ec) fail(s, FetchError::protocol_error, "body: " + ec.message());
  }

  static int on_data_chunk_recv(nghttp2_session* ns, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                                std::size_t len, void* user) noexcept {
    try {
      StreamState* s = stream(self(user), id);
      if (!s || s->error || !s->body) return 0;  // the bytes still count as consumed
      boost::system::error_code ec;
      s->body->put(boost::asio::const_buffer(data, len), ec);
      if (!ec) return 0;
      if (ec == boost::beast::http::error::body_limit) {
        fail(*s, FetchError::too_large, "body over max_body_bytes");
      } else {
        fail(*s, FetchError::protocol_error, "body: " + ec.message());
      }
      // The rest of this body is not wanted; the connection stays for the others.
      nghttp2_submit_rst_stream(ns, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
      return 0;
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  // A connection error nghttp2 found in what the server sent: the reason the
  // streams fail with once the session ends.
  static int on_error(nghttp2_session*, int, const char* msg, std::size_t len, void* user) noexcept {
    try {
      self(user).error_.assign(msg, len);
      return 0;
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  // The next piece of a request's body, copied into nghttp2's frame.
  static ssize_t read_request_body(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                                   std::uint32_t* data_flags, nghttp2_data_source* source, void*) noexcept {
    auto& s = *static_cast<StreamState*>(source->ptr);
    const std::size_t n = std::min(length, s.request_body.size() - s.request_body_sent);
    std::memcpy(buf, s.request_body.data() + s.request_body_sent, n);
    s.request_body_sent += n;
    if (s.request_body_sent == s.request_body.size()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  static int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t error_code, void* user) noexcept {
    try {
      self(user).closed(id, error_code);
      return 0;
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }
};

Session::Session(Limits limits) : limits_(limits) {
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) throw std::bad_alloc();
  nghttp2_session_callbacks_set_on_header_callback(cbs, &Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &Callbacks::on_data_chunk_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &Callbacks::on_stream_close);
  nghttp2_session_callbacks_set_error_callback2(cbs, &Callbacks::on_error);
  const int rv = nghttp2_session_client_new(&session_, cbs, this);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) throw std::bad_alloc();

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(limits_.max_header_bytes)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, connection_window);
}

Session::~Session() { nghttp2_session_del(session_); }

bool Session::submit(const std::vector<H2Field>& headers, StreamState& s) {
  // nghttp2 copies the array before it returns: one buffer per thread serves every request.
  thread_local std::vector<nghttp2_nv> nva;
  nva.clear();
  for (const auto& f : headers) {
    // Not copied: `headers` lives as long as the stream, and nghttp2 reads
    // them only when it frames the HEADERS, before the stream can close.
    // Names are lower case already (h2_request_headers).
    std::uint8_t flags = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE;
    // A value new on every request would only push the fields that do repeat
    // out of both sides' HPACK tables: sent as a literal, never indexed.
    if (f.name == "traceparent") flags |= NGHTTP2_NV_FLAG_NO_INDEX;
    nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(f.name.data())),
                   reinterpret_cast<std::uint8_t*>(const_cast<char*>(f.value.data())), f.name.size(), f.value.size(),
                   flags});
  }
  s.message.body().cap = s.max_body_bytes;
  s.message.body().keep = s.keep_body;
  s.message.body().decode = s.decode;
  nghttp2_data_provider body{};
  body.source.ptr = &s;
  body.read_callback = &Callbacks::read_request_body;
  const std::int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                                 s.request_body.empty() ? nullptr : &body, &s);
  if (id < 0) {
    fail(s, FetchError::protocol_error, std::string("cannot send the request: ") + nghttp2_strerror(id));
    return false;
  }
  s.id = id;
  streams_[id] = &s;
  return true;
}

void Session::cancel(StreamState& s, FetchError reason, std::string detail) {
  if (!streams_.count(s.id)) return;  // closed already
  fail(s, reason, std::move(detail));
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_CANCEL);
}

void Session::closed(std::int32_t id, std::uint32_t error_code) {
  const auto it = streams_.find(id);
  if (it == streams_.end()) return;
  StreamState& s = *it->second;
  streams_.erase(it);
  if (!s.complete) {
    if (error_code == NGHTTP2_REFUSED_STREAM) {
      s.refused = !s.error;
      fail(s, FetchError::protocol_error, "stream refused by the server");
    } else if (error_code == NGHTTP2_NO_ERROR) {
      fail(s, FetchError::protocol_error, "stream closed before the response ended");
    } else {
      fail(s, FetchError::protocol_error,
           std::string("stream reset by the server (") + nghttp2_http2_strerror(error_code) + ")");
    }
  }
  closed_.push_back(&s);
}

bool Session::receive(const std::uint8_t* data, std::size_t n) {
  const auto rv = nghttp2_session_mem_recv(session_, data, n);
  if (rv >= 0) return true;
  error_ = nghttp2_strerror(static_cast<int>(rv));
  fail_all(FetchError::protocol_error, "HTTP/2: " + error_);
  return false;
}

bool Session::produce(std::string& out, std::size_t max) {
  while (out.size() < max) {
    const std::uint8_t* p = nullptr;
    const auto n = nghttp2_session_mem_send(session_, &p);
    if (n < 0) {
      error_ = nghttp2_strerror(static_cast<int>(n));
      fail_all(FetchError::protocol_error, "HTTP/2: " + error_);
      return false;
    }
    if (n == 0) break;
    out.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
  }
  // Ended by a connection error (its GOAWAY is in `out`): nghttp2 closes no
  // stream itself then.
  if (finished() && !streams_.empty())
    fail_all(FetchError::protocol_error, "HTTP/2: " + (error_.empty() ? std::string("session ended") : error_));
  return true;
}

std::vector<StreamState*> Session::take_closed() {
  std::vector<StreamState*> out;
  out.swap(closed_);
  return out;
}

void Session::fail_all(FetchError error, const std::string& detail) {
  for (auto& [id, s] : streams_) {
    fail(*s, error, detail);
    closed_.push_back(s);
  }
  streams_.clear();
}

void Session::shut_down() { nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR); }

bool Session::wants_write() const { return nghttp2_session_want_write(session_) != 0; }

bool Session::finished() const {
  return !nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_);
}

std::uint32_t Session::max_concurrent_streams() const {
  return nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

}  // namespace asyncfetch::h2
