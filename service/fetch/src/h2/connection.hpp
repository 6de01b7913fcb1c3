// Connection: one HTTP/2 connection over TLS, driven by a task of its own.
//
// Asio's ssl::stream is not thread-safe and allows one read and one write in
// flight, while the fetches that use a connection run on other loop threads.
// So everything that touches the stream or the nghttp2 session happens in the
// connection's driver task (its own strand when the loop has several
// threads): its reads and writes complete into the driver's inbox (a runtime
// Queue), and fetch tasks talk to it only through that inbox (submit, cancel)
// and each stream's Event, which the driver sets when the stream has ended.
//
// The counters the registry places streams by (streams, capacity, accepting)
// are atomics: the registry reads and reserves them under its own lock, the
// driver lowers them as streams end.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "asyncfetch/wire/h2_request_headers.hpp"
#include "h2/session.hpp"
#include "runtime/event.hpp"
#include "runtime/future.hpp"
#include "runtime/queue.hpp"
#include "runtime/task.hpp"

namespace asyncfetch::h2 {

// One fetch's request and answer, shared by the fetch task that waits for it
// and the driver that fills it in.
struct Stream : StreamState {
  std::vector<H2Field> request;
  runtime::Event done;  // set by the driver once the stream has ended, in any way
  // Set by the driver once it writes no more of the answer: when the stream
  // has ended, or when it took the fetch's cancel (the stream may close on
  // the wire later). What arrived until then is the fetch's to read.
  runtime::Event settled;
  std::chrono::steady_clock::time_point submitted{};  // by the driver, when it took the stream
};

class Connection;

// Who keeps the connection for new streams (the registry), told from the
// driver's thread.
class ConnectionOwner {
 public:
  // True, and the connection is no longer offered, when no stream is open or
  // promised on it: it may close.
  virtual bool retire_if_idle(Connection& c) = 0;
  // The connection takes no more streams (GOAWAY, an error, closed).
  virtual void forget(Connection& c) = 0;

 protected:
  ~ConnectionOwner() = default;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

  // `tls` has shaken hands and chosen h2. The connection starts with one
  // stream promised, to the fetch that made it.
  Connection(std::string origin, std::unique_ptr<TlsStream> tls, Session::Limits limits,
             std::chrono::milliseconds idle_timeout, std::shared_ptr<ConnectionOwner> owner);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts the driver task (on a loop thread).
  void start();
  // Set once the server's SETTINGS arrived (capacity is known) or the
  // connection ended first (then it is no longer accepting).
  runtime::Future<void> ready() const { return ready_; }

  // From any thread. A stream promised to the caller (streams counts it) is
  // sent, or given back unsent with release().
  void submit(std::shared_ptr<Stream> s);
  void release();
  // Resets the stream if it is still open; it ends with `reason`.
  void cancel(std::shared_ptr<Stream> s, FetchError reason, std::string detail);
  // Closes the connection: with a GOAWAY when no stream is open, else at once.
  void close();

  const std::string& origin() const noexcept { return origin_; }

  // Read and reserved by the registry under its lock.
  std::atomic<std::uint32_t> streams{1};
  std::atomic<std::uint32_t> capacity{0};
  std::atomic<bool> accepting{true};

 private:
  struct Command {
    enum Kind { submit, cancel, received, written, close, poke } kind;
    std::shared_ptr<Stream> stream{};
    FetchError reason{};
    std::string detail{};
    boost::system::error_code ec{};
    std::size_t bytes = 0;
  };

  runtime::Task<void> drive();
  runtime::Task<Command> next_command();
  void handle(Command& c);
  bool handle_arrived();
  bool coalescing() const;
  void settle_streams();
  void after_commands();
  void read();
  void flush();
  void stream_ended(const std::shared_ptr<Stream>& s);
  void unsent(const std::shared_ptr<Stream>& s, const char* why);
  void end(const std::string& reason);

  const std::string origin_;
  const std::unique_ptr<TlsStream> tls_;
  const std::chrono::milliseconds idle_timeout_;
  const std::shared_ptr<ConnectionOwner> owner_;
  runtime::Queue<Command> inbox_;  // unbounded: a submit or cancel never waits
  runtime::Future<void> ready_;
  std::mutex ended_m_;  // orders submit() against the end
  bool ended_ = false;

  // The driver's own, touched only in its task.
  boost::asio::any_io_executor ex_;
  Session session_;
  std::unordered_map<StreamState*, std::shared_ptr<Stream>> active_;
  std::array<std::uint8_t, 16 * 1024> rbuf_{};
  std::string wbuf_;
  bool open_ = true;
  bool closing_ = false;  // a GOAWAY is on its way out; the end follows its write
  bool writing_ = false;
  std::chrono::steady_clock::time_point write_started_{};
  bool ready_set_ = false;
};

}  // namespace asyncfetch::h2
