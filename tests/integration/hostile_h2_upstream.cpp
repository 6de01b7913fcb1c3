#include "hostile_h2_upstream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace it {

// Named, not anonymous: the unity build puts several test sources in one unit.
namespace hostile_h2_wire {

// RFC 9113 6: frame types, flags, error codes and the one setting used here.
enum : std::uint8_t { DATA = 0, HEADERS = 1, RST_STREAM = 3, SETTINGS = 4, PING = 6, GOAWAY = 7, CONTINUATION = 9 };
enum : std::uint8_t { END_STREAM = 0x1, ACK = 0x1, END_HEADERS = 0x4 };
constexpr std::uint32_t NO_ERROR = 0, INTERNAL_ERROR = 2;
constexpr std::uint16_t INITIAL_WINDOW_SIZE = 4;
constexpr std::size_t max_frame_payload = 16384;  // the client's SETTINGS_MAX_FRAME_SIZE (nghttp2's default)
const std::string client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream, const std::string& payload) {
  std::string out;
  const auto n = static_cast<std::uint32_t>(payload.size());
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(flags));
  put32(out, stream & 0x7fffffff);
  return out + payload;
}

std::string setting(std::uint16_t id, std::uint32_t value) {
  std::string out{static_cast<char>(id >> 8), static_cast<char>(id)};
  put32(out, value);
  return out;
}

// An HPACK block of `fields` from `deflater` (which keeps the dynamic table a
// connection's blocks share); `never_indexed` leaves the table alone, so the
// block can be sent any number of times.
std::string hpack(nghttp2_hd_deflater* deflater, const std::vector<std::pair<std::string, std::string>>& fields,
                  bool never_indexed = false) {
  std::vector<nghttp2_nv> nva;
  for (const auto& [n, v] : fields)
    nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(n.data())),
                   reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                   static_cast<std::uint8_t>(never_indexed ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE)});
  std::string out(nghttp2_hd_deflate_bound(deflater, nva.data(), nva.size()), '\0');
  const auto n = nghttp2_hd_deflate_hd(deflater, reinterpret_cast<std::uint8_t*>(out.data()), out.size(), nva.data(),
                                       nva.size());
  if (n < 0) throw std::runtime_error("nghttp2_hd_deflate_hd failed");
  out.resize(static_cast<std::size_t>(n));
  return out;
}

int select_h2(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen, void*) {
  static const unsigned char h2[] = {2, 'h', '2'};
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, outlen, h2, sizeof h2, in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

// One accepted connection: TLS over a blocking socket whose reads and writes
// time out every 50 ms, so that every wait can notice the fixture stopping.
class Peer {
 public:
  Peer(SSL_CTX* ctx, int fd, const std::atomic<bool>& stopping, std::atomic<long>& sent)
      : ssl_(SSL_new(ctx)), stopping_(stopping), sent_(sent) {
    timeval tv{0, 50000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    SSL_set_fd(ssl_, fd);
  }
  ~Peer() { SSL_free(ssl_); }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  bool handshake() {
    return retry([&] { return SSL_accept(ssl_); });
  }

  // Reads until `in_` holds at least `n` bytes; false when the peer went away.
  bool fill(std::size_t n) {
    char buf[16384];
    while (in_.size() < n) {
      int got = 0;
      if (!retry([&] { return got = SSL_read(ssl_, buf, sizeof buf); })) return false;
      in_.append(buf, static_cast<std::size_t>(got));
    }
    return true;
  }

  bool read_preface() {
    if (!fill(client_preface.size()) || in_.compare(0, client_preface.size(), client_preface) != 0) return false;
    in_.erase(0, client_preface.size());
    return true;
  }

  struct Frame {
    std::uint8_t type = 0, flags = 0;
    std::uint32_t stream = 0;
    std::string payload;
  };
  bool read_frame(Frame& f) {
    if (!fill(9)) return false;
    const auto* h = reinterpret_cast<const unsigned char*>(in_.data());
    const std::size_t len = (std::size_t{h[0]} << 16) | (std::size_t{h[1]} << 8) | h[2];
    f.type = h[3];
    f.flags = h[4];
    f.stream = ((std::uint32_t{h[5]} << 24) | (std::uint32_t{h[6]} << 16) | (std::uint32_t{h[7]} << 8) | h[8]) &
               0x7fffffff;
    if (!fill(9 + len)) return false;
    f.payload = in_.substr(9, len);
    in_.erase(0, 9 + len);
    return true;
  }

  bool write(const std::string& bytes) {
    if (bytes.empty()) return true;
    if (!retry([&] { return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())); })) return false;
    sent_ += static_cast<long>(bytes.size());
    return true;
  }

  void close_notify() { SSL_shutdown(ssl_); }

 private:
  // Repeats an OpenSSL call that timed out (WANT_READ/WANT_WRITE) until it
  // succeeds, fails, or the fixture stops.
  template <class Call>
  bool retry(Call call) {
    while (!stopping_) {
      ERR_clear_error();
      const int rc = call();
      if (rc > 0) return true;
      const int err = SSL_get_error(ssl_, rc);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) return false;
    }
    return false;
  }

  SSL* ssl_;
  const std::atomic<bool>& stopping_;
  std::atomic<long>& sent_;
  std::string in_;
};

// `block` as HEADERS + CONTINUATIONs of at most one frame's payload each,
// END_HEADERS on the last.
std::string header_frames(std::uint32_t stream, const std::string& block, std::uint8_t end_stream) {
  std::string out;
  for (std::size_t off = 0; off < block.size() || off == 0; off += max_frame_payload) {
    const bool first = off == 0;
    const bool last = off + max_frame_payload >= block.size();
    const std::uint8_t flags = (first ? end_stream : 0) | (last ? END_HEADERS : 0);
    out += frame(first ? HEADERS : CONTINUATION, flags, stream, block.substr(off, max_frame_payload));
    if (last) break;
  }
  return out;
}

}  // namespace hostile_h2_wire

HostileH2Upstream::HostileH2Upstream(Mode mode, const TlsFiles& tls) : mode_(mode) {
  using namespace hostile_h2_wire;
  std::signal(SIGPIPE, SIG_IGN);  // OpenSSL writes with write(2): a peer gone must be an error, not a signal
  ctx_ = SSL_CTX_new(TLS_server_method());
  if (!ctx_ || SSL_CTX_use_certificate_chain_file(ctx_, tls.cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx_, tls.key.c_str(), SSL_FILETYPE_PEM) != 1)
    throw std::runtime_error("HostileH2Upstream: cannot load " + tls.cert);
  SSL_CTX_set_alpn_select_cb(ctx_, &select_h2, nullptr);

  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (mode_ == Mode::settings_flood || mode_ == Mode::ping_flood) {
    // A small receive buffer (inherited by accepted sockets): the service's
    // ACKs back up after a few KiB instead of megabytes.
    int small = 4096;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("HostileH2Upstream: cannot listen");
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

HostileH2Upstream::~HostileH2Upstream() {
  stopping_ = true;
  acceptor_.join();
  {
    std::lock_guard lk(m_);
    for (auto& t : conns_) t.join();
  }
  ::close(listen_fd_);
  SSL_CTX_free(ctx_);
}

std::string HostileH2Upstream::url(const std::string& path) const {
  return "https://127.0.0.1:" + std::to_string(port_) + path;
}

void HostileH2Upstream::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++accepted_;
    ++open_;
    std::lock_guard lk(m_);
    conns_.emplace_back([this, fd] {
      serve(fd);
      ::close(fd);
      --open_;
    });
  }
}

void HostileH2Upstream::serve(int fd) {
  using namespace hostile_h2_wire;
  Peer peer(ctx_, fd, stopping_, bytes_sent_);
  if (!peer.handshake() || !peer.read_preface()) return;

  nghttp2_hd_deflater* deflater = nullptr;  // this connection's response heads
  nghttp2_hd_deflater* pad_deflater = nullptr;  // a never-indexed field, the same bytes each time
  nghttp2_hd_deflate_new(&deflater, 4096);
  nghttp2_hd_deflate_new(&pad_deflater, 4096);
  const std::string pad = hpack(pad_deflater, {{"x-pad", std::string(1000, 'p')}}, /*never_indexed=*/true);
  nghttp2_hd_deflate_del(pad_deflater);
  struct Free {
    nghttp2_hd_deflater* d;
    ~Free() { nghttp2_hd_deflate_del(d); }
  } free_deflater{deflater};

  const std::string server_settings =
      mode_ == Mode::closed_window ? setting(INITIAL_WINDOW_SIZE, 0) : std::string();
  if (!peer.write(frame(SETTINGS, 0, 0, server_settings))) return;

  // Sends `frames` again and again until the client stops taking them.
  auto flood = [&](const std::string& frames) {
    while (peer.write(frames)) {
    }
  };

  int streams_here = 0;
  Peer::Frame f;
  while (peer.read_frame(f)) {
    switch (f.type) {
      case SETTINGS:
        if (!(f.flags & ACK) && !peer.write(frame(SETTINGS, ACK, 0, ""))) return;
        continue;
      case RST_STREAM:
        ++resets_received_;
        continue;
      case DATA:
        data_bytes_received_ += static_cast<long>(f.payload.size());
        continue;
      case HEADERS:
        break;
      default:
        continue;
    }
    // A request: its HEADERS (the service's fit in one frame).
    ++streams_;
    ++streams_here;
    for (int seen = max_streams_per_connection_; streams_here > seen;)
      if (max_streams_per_connection_.compare_exchange_weak(seen, streams_here)) break;
    const std::uint32_t id = f.stream;
    const bool has_body = !(f.flags & END_STREAM);
    // A head, the first 1000 bytes of a 100000-byte body, and a GOAWAY that
    // names this stream as the last one processed.
    auto cut_by_goaway = [&](std::uint32_t code) {
      std::string goaway;
      put32(goaway, id);
      put32(goaway, code);
      goaway += "going away mid-body";
      return peer.write(header_frames(id, hpack(deflater, {{":status", "200"}, {"content-length", "100000"}}), 0) +
                        frame(DATA, 0, id, std::string(1000, 'g')) + frame(GOAWAY, 0, 0, goaway));
    };
    switch (mode_) {
      case Mode::goaway_mid_body:
        cut_by_goaway(INTERNAL_ERROR);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        peer.close_notify();
        return;
      case Mode::goaway_kept_open:
        if (!cut_by_goaway(NO_ERROR)) return;
        break;
      case Mode::settings_flood: {
        std::string frames;
        for (int i = 0; i < 1000; ++i) frames += frame(SETTINGS, 0, 0, setting(INITIAL_WINDOW_SIZE, 65535));
        return flood(frames);
      }
      case Mode::ping_flood: {
        std::string frames;
        for (int i = 0; i < 1000; ++i) frames += frame(PING, 0, 0, "pingpong");
        return flood(frames);
      }
      case Mode::endless_continuation: {
        if (!peer.write(frame(HEADERS, 0, id, hpack(deflater, {{":status", "200"}})))) return;
        std::string frames;
        for (int i = 0; i < 16; ++i) frames += frame(CONTINUATION, 0, id, pad);
        return flood(frames);
      }
      case Mode::huge_header_list: {
        std::string block = hpack(deflater, {{":status", "200"}});
        while (block.size() < 96 * 1024) block += pad;
        if (!peer.write(header_frames(id, block, 0) + frame(DATA, END_STREAM, id, "ok"))) return;
        break;
      }
      case Mode::reset_every_stream: {
        std::string code;
        put32(code, INTERNAL_ERROR);
        if (!peer.write(frame(RST_STREAM, 0, id, code))) return;
        break;
      }
      case Mode::closed_window:
        // A request with a body waits for a window that never opens; one
        // without gets its head and nothing more.
        if (!has_body && !peer.write(header_frames(id, hpack(deflater, {{":status", "200"}}), 0))) return;
        break;
    }
  }
}

}  // namespace it
