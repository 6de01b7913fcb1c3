// h2::Session against a real nghttp2 server session in the same process:
// frames go back and forth as bytes, as they would over a connection, and
// each test makes the server answer in a way the client must handle.
#include "h2/session.hpp"

#include <nghttp2/nghttp2.h>

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

using asyncfetch::FetchError;
using asyncfetch::H2Field;
using asyncfetch::h2::Session;
using asyncfetch::h2::StreamState;

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// The server end: records the requests and resets it receives, answers as told.
class Server {
 public:
  explicit Server(std::uint32_t max_concurrent_streams = 100) {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &on_frame_recv);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &on_header);
    nghttp2_session_server_new(&s_, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    const nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_concurrent_streams}};
    nghttp2_submit_settings(s_, NGHTTP2_FLAG_NONE, iv, 1);
  }
  ~Server() { nghttp2_session_del(s_); }

  void respond(std::int32_t id, const Fields& head, std::string body, bool end = true) {
    const auto nva = nv(head);
    if (body.empty() && end) {
      nghttp2_submit_response(s_, id, nva.data(), nva.size(), nullptr);
      return;
    }
    bodies_[id] = {std::move(body), 0, end, {}};
    nghttp2_data_provider dp{};
    dp.source.ptr = &bodies_[id];
    dp.read_callback = &read_body;
    nghttp2_submit_response(s_, id, nva.data(), nva.size(), &dp);
  }
  void informational(std::int32_t id, const Fields& head) {
    const auto nva = nv(head);
    nghttp2_submit_headers(s_, NGHTTP2_FLAG_NONE, id, nullptr, nva.data(), nva.size(), nullptr);
  }
  // Sent after the body (set up with end=false) has gone.
  void trailers(std::int32_t id, const Fields& fields) { bodies_.at(id).trailers = fields; }
  void reset(std::int32_t id, std::uint32_t code) { nghttp2_submit_rst_stream(s_, NGHTTP2_FLAG_NONE, id, code); }
  void goaway(std::int32_t last_stream_id) {
    nghttp2_submit_goaway(s_, NGHTTP2_FLAG_NONE, last_stream_id, NGHTTP2_NO_ERROR, nullptr, 0);
  }

  // Client frames in, server frames out; until neither side has more.
  void exchange(Session& client) {
    for (int round = 0; round < 100; ++round) {
      std::string to_server;
      client.produce(to_server);
      if (!to_server.empty())
        REQUIRE(nghttp2_session_mem_recv(s_, reinterpret_cast<const std::uint8_t*>(to_server.data()),
                                         to_server.size()) == static_cast<ssize_t>(to_server.size()));
      std::string to_client;
      for (;;) {
        const std::uint8_t* p = nullptr;
        const auto n = nghttp2_session_mem_send(s_, &p);
        REQUIRE(n >= 0);
        if (n == 0) break;
        to_client.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
      }
      if (!to_client.empty()) client.receive(reinterpret_cast<const std::uint8_t*>(to_client.data()), to_client.size());
      if (to_server.empty() && to_client.empty()) return;
    }
    FAIL("the sessions keep talking");
  }

  std::vector<std::int32_t> requests;                      // stream ids, in arrival order
  std::map<std::int32_t, std::uint32_t> resets_received;  // stream id -> error code
  // The request fields as they arrived: name -> value, and the names sent never indexed.
  std::map<std::int32_t, std::map<std::string, std::string>> fields;
  std::map<std::int32_t, std::vector<std::string>> never_indexed;
  // The bytes of the HPACK table the client's fields have filled at the server.
  std::size_t hpack_table_bytes() const { return nghttp2_session_get_hd_inflate_dynamic_table_size(s_); }

 private:
  struct Body {
    std::string data;
    std::size_t at = 0;
    bool end = true;
    Fields trailers;
  };

  static std::vector<nghttp2_nv> nv(const Fields& fields) {
    std::vector<nghttp2_nv> out;
    for (const auto& [n, v] : fields)
      out.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(n.data())),
                     reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                     NGHTTP2_NV_FLAG_NONE});
    return out;
  }
  static ssize_t read_body(nghttp2_session* session, std::int32_t id, std::uint8_t* buf, std::size_t length,
                           std::uint32_t* flags, nghttp2_data_source* source, void*) {
    auto& b = *static_cast<Body*>(source->ptr);
    const std::size_t n = std::min(length, b.data.size() - b.at);
    std::copy_n(b.data.data() + b.at, n, buf);
    b.at += n;
    if (b.at == b.data.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!b.end) *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      if (!b.trailers.empty()) {
        const auto nva = nv(b.trailers);
        nghttp2_submit_trailer(session, id, nva.data(), nva.size());
      }
    }
    return static_cast<ssize_t>(n);
  }
  static int on_header(nghttp2_session*, const nghttp2_frame* f, const std::uint8_t* name, std::size_t namelen,
                       const std::uint8_t* value, std::size_t valuelen, std::uint8_t flags, void* user) {
    auto& self = *static_cast<Server*>(user);
    const std::string n(reinterpret_cast<const char*>(name), namelen);
    self.fields[f->hd.stream_id][n] = std::string(reinterpret_cast<const char*>(value), valuelen);
    if (flags & NGHTTP2_NV_FLAG_NO_INDEX) self.never_indexed[f->hd.stream_id].push_back(n);
    return 0;
  }
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* f, void* user) {
    auto& self = *static_cast<Server*>(user);
    if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST) self.requests.push_back(f->hd.stream_id);
    if (f->hd.type == NGHTTP2_RST_STREAM) self.resets_received[f->hd.stream_id] = f->rst_stream.error_code;
    return 0;
  }

  nghttp2_session* s_ = nullptr;
  std::map<std::int32_t, Body> bodies_;
};

const std::vector<H2Field> get_request = {
    {":method", "GET"}, {":scheme", "https"}, {":authority", "example.com"}, {":path", "/"}};

StreamState stream(std::uint64_t cap = 1 << 20, bool keep = true) {
  StreamState s;
  s.max_body_bytes = cap;
  s.keep_body = keep;
  return s;
}

}  // namespace

TEST_CASE("h2::Session: a response's status, fields and body, closed once", "[h2_session]") {
  Server server(7);
  Session client({});
  auto s = stream();
  REQUIRE(client.submit(get_request, s));
  server.exchange(client);
  CHECK(client.settings_received());
  CHECK(client.max_concurrent_streams() == 7);
  REQUIRE(server.requests == std::vector<std::int32_t>{s.id});
  server.respond(s.id, {{":status", "201"}, {"location", "/x"}, {"x-a", "1"}}, "hello");
  server.exchange(client);
  CHECK(client.take_closed() == std::vector<StreamState*>{&s});
  CHECK(client.take_closed().empty());
  CHECK_FALSE(s.error);
  CHECK(s.head_done);
  CHECK(s.complete);
  CHECK(s.message.result_int() == 201);
  CHECK(s.message["location"] == "/x");
  CHECK(s.message["x-a"] == "1");
  CHECK(s.message.body().data == "hello");
  CHECK(s.message.body().received == 5);
  CHECK(client.open_streams() == 0);
}

TEST_CASE("h2::Session: a body over the cap is too_large, with the cap kept, and the stream reset", "[h2_session]") {
  Server server;
  Session client({});
  auto s = stream(/*cap=*/1000);
  REQUIRE(client.submit(get_request, s));
  server.exchange(client);
  server.respond(s.id, {{":status", "200"}}, std::string(50000, 'b'));
  server.exchange(client);
  CHECK(client.take_closed().size() == 1);
  CHECK(s.error == FetchError::too_large);
  CHECK(s.message.body().received == 1000);
  CHECK(s.message.body().truncated);
  CHECK(s.message.body().data == std::string(1000, 'b'));
  CHECK(server.resets_received.at(s.id) == NGHTTP2_CANCEL);
}

TEST_CASE("h2::Session: a body of exactly the cap is whole, and without keep_body only counted", "[h2_session]") {
  Server server;
  Session client({});
  auto kept = stream(1000);
  auto counted = stream(1000, /*keep=*/false);
  REQUIRE(client.submit(get_request, kept));
  REQUIRE(client.submit(get_request, counted));
  server.exchange(client);
  server.respond(kept.id, {{":status", "200"}}, std::string(1000, 'k'));
  server.respond(counted.id, {{":status", "200"}}, std::string(999, 'c'));
  server.exchange(client);
  CHECK_FALSE(kept.error);
  CHECK(kept.message.body().data.size() == 1000);
  CHECK_FALSE(kept.message.body().truncated);
  CHECK_FALSE(counted.error);
  CHECK(counted.message.body().received == 999);
  CHECK(counted.message.body().data.empty());
}

TEST_CASE("h2::Session: a response head over the limit is protocol_error, the connection lives on", "[h2_session]") {
  Server server;
  Session client({.max_header_bytes = 2048});
  auto big = stream();
  auto next = stream();
  REQUIRE(client.submit(get_request, big));
  server.exchange(client);
  server.respond(big.id, {{":status", "200"}, {"x-big", std::string(3000, 'h')}}, "body");
  server.exchange(client);
  CHECK(big.error == FetchError::protocol_error);
  CHECK_THAT(big.detail, Catch::Contains("response head over 2048 bytes"));
  CHECK_FALSE(big.head_done);
  // Within the limit, as the fields' names and values plus 4 bytes each count.
  REQUIRE(client.submit(get_request, next));
  server.exchange(client);
  server.respond(next.id, {{":status", "200"}, {"x-fits", std::string(2048 - 4 - 7 - 4 - 6 - 4, 'f')}}, "ok");
  server.exchange(client);
  CHECK_FALSE(next.error);
  CHECK(next.message.body().data == "ok");
}

TEST_CASE("h2::Session: RST_STREAM from the server is protocol_error, REFUSED_STREAM may be sent again",
          "[h2_session]") {
  Server server;
  Session client({});
  auto reset = stream();
  auto refused = stream();
  auto midway = stream();
  REQUIRE(client.submit(get_request, reset));
  REQUIRE(client.submit(get_request, refused));
  REQUIRE(client.submit(get_request, midway));
  server.exchange(client);
  server.reset(reset.id, NGHTTP2_INTERNAL_ERROR);
  server.reset(refused.id, NGHTTP2_REFUSED_STREAM);
  server.respond(midway.id, {{":status", "200"}}, "part", /*end=*/false);
  server.exchange(client);
  server.reset(midway.id, NGHTTP2_CANCEL);
  server.exchange(client);
  CHECK(reset.error == FetchError::protocol_error);
  CHECK_THAT(reset.detail, Catch::Contains("INTERNAL_ERROR"));
  CHECK_FALSE(reset.refused);
  CHECK(refused.error == FetchError::protocol_error);
  CHECK(refused.refused);
  CHECK(midway.error == FetchError::protocol_error);
  CHECK(midway.head_done);  // the status stays known, as over HTTP/1.1 when a body is cut
  CHECK_FALSE(midway.refused);
  CHECK(client.take_closed().size() == 3);
}

TEST_CASE("h2::Session: GOAWAY refuses the streams above its last stream id, the others finish", "[h2_session]") {
  Server server;
  Session client({});
  auto first = stream();
  auto second = stream();
  REQUIRE(client.submit(get_request, first));
  REQUIRE(client.submit(get_request, second));
  server.exchange(client);
  server.goaway(first.id);
  server.exchange(client);
  CHECK(client.goaway_received());
  CHECK(second.refused);
  CHECK(second.error == FetchError::protocol_error);
  CHECK_FALSE(first.error);
  server.respond(first.id, {{":status", "200"}}, "done");
  server.exchange(client);
  CHECK_FALSE(first.error);
  CHECK(first.message.body().data == "done");
  // After GOAWAY, a new request never reaches the server.
  auto late = stream();
  if (client.submit(get_request, late)) server.exchange(client);
  CHECK(late.error == FetchError::protocol_error);
  CHECK(server.requests.size() == 2);
}

TEST_CASE("h2::Session: a :status outside 100..599 is protocol_error and the stream is reset", "[h2_session]") {
  // h2_response_fuzz: "051" passed as a final answer below 200.
  for (const char* status : {"051", "000", "600", "999"}) {
    INFO(status);
    Server server;
    Session client({});
    auto s = stream();
    REQUIRE(client.submit(get_request, s));
    server.exchange(client);
    server.respond(s.id, {{":status", status}}, "body");
    server.exchange(client);
    CHECK(s.error == FetchError::protocol_error);
    CHECK_FALSE(s.head_done);
    CHECK(server.resets_received.count(s.id) == 1);
    CHECK(client.take_closed().size() == 1);
  }
}

TEST_CASE("h2::Session: interim 1xx heads are skipped, trailers counted but not kept", "[h2_session]") {
  Server server;
  Session client({});
  auto s = stream();
  REQUIRE(client.submit(get_request, s));
  server.exchange(client);
  server.informational(s.id, {{":status", "103"}, {"link", "</style.css>; rel=preload"}});
  server.respond(s.id, {{":status", "200"}, {"x-final", "1"}}, "body", /*end=*/false);
  server.trailers(s.id, {{"x-trailer", "t"}});  // and so the body does not end the stream
  server.exchange(client);
  CHECK_FALSE(s.error);
  CHECK(s.complete);
  CHECK(s.message.result_int() == 200);
  CHECK(s.message["x-final"] == "1");
  CHECK(s.message.find("link") == s.message.end());
  CHECK(s.message.find("x-trailer") == s.message.end());
  CHECK(s.message.body().data == "body");
}

TEST_CASE("h2::Session: cancel() resets the stream with the caller's reason, fail_all() ends the rest",
          "[h2_session]") {
  Server server;
  Session client({});
  auto timed_out = stream();
  auto open = stream();
  REQUIRE(client.submit(get_request, timed_out));
  REQUIRE(client.submit(get_request, open));
  server.exchange(client);
  client.cancel(timed_out, FetchError::timeout, "response timed out");
  server.exchange(client);
  CHECK(timed_out.error == FetchError::timeout);
  CHECK(timed_out.detail == "response timed out");
  CHECK(server.resets_received.at(timed_out.id) == NGHTTP2_CANCEL);
  CHECK(client.take_closed() == std::vector<StreamState*>{&timed_out});
  client.cancel(timed_out, FetchError::cancelled, "again");  // closed already: nothing
  CHECK(timed_out.error == FetchError::timeout);

  client.fail_all(FetchError::protocol_error, "connection lost");
  CHECK(open.error == FetchError::protocol_error);
  CHECK(open.detail == "connection lost");
  CHECK(client.take_closed() == std::vector<StreamState*>{&open});
  CHECK(client.open_streams() == 0);
}

TEST_CASE("h2::Session: bytes that are not HTTP/2 end the session", "[h2_session]") {
  Server server;
  Session client({});
  auto s = stream();
  REQUIRE(client.submit(get_request, s));
  server.exchange(client);
  const std::string junk = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  client.receive(reinterpret_cast<const std::uint8_t*>(junk.data()), junk.size());
  std::string out;
  client.produce(out);  // the GOAWAY nghttp2 sends for it
  CHECK(s.error == FetchError::protocol_error);
  CHECK(client.take_closed() == std::vector<StreamState*>{&s});
  CHECK(client.finished());
}

TEST_CASE("h2::Session: traceparent, new on every request, is never indexed, and the fields that repeat are",
          "[h2_session]") {
  Server server;
  Session client({});
  const std::vector<std::string> parents = {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                                            "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01",
                                            "00-4bf92f3577b34da6a3ce929d0e0e4736-0af7651916cd43dd-01"};
  std::vector<std::vector<H2Field>> requests;  // as long as their streams (submit does not copy them)
  for (const auto& p : parents)
    requests.push_back({{":method", "GET"}, {":scheme", "https"}, {":authority", "example.com"}, {":path", "/"},
                        {"user-agent", "asyncfetch/0.1"}, {"traceparent", p}});
  std::vector<StreamState> streams(parents.size());
  std::size_t table_after_first = 0;
  for (std::size_t i = 0; i < parents.size(); ++i) {
    streams[i].max_body_bytes = 1 << 20;
    REQUIRE(client.submit(requests[i], streams[i]));
    server.exchange(client);
    if (i == 0) table_after_first = server.hpack_table_bytes();
  }
  CHECK(table_after_first > 0);  // :authority and user-agent went in
  CHECK(server.hpack_table_bytes() == table_after_first);  // and no traceparent after them
  for (std::size_t i = 0; i < parents.size(); ++i) {
    const auto id = streams[i].id;
    CHECK(server.fields[id]["traceparent"] == parents[i]);
    CHECK(server.fields[id]["user-agent"] == "asyncfetch/0.1");
    CHECK(server.fields[id][":authority"] == "example.com");
    CHECK(server.never_indexed[id] == std::vector<std::string>{"traceparent"});
  }
}
