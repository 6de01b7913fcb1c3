// What a drain needs to know of the connections: whether it has begun, and
// which connections sit idle between requests, so that it can close those at
// once while the busy ones finish their request.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace asyncfetch {

class DrainControl {
  struct Connection;

 public:
  // A connection's place in the registry, for as long as its session lives.
  // Made, used and destroyed on the session's executor.
  class Entry {
   public:
    Entry(DrainControl& drain, const boost::asio::any_io_executor& ex, boost::beast::tcp_stream& stream);
    ~Entry();
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

    // Busy from the first byte of a request until its reply is written.
    void busy(bool b) noexcept;

   private:
    DrainControl& drain_;
    std::shared_ptr<Connection> c_;
  };

  // From now on draining() is true, and every idle connection is woken so
  // that its session ends.
  void begin();
  bool draining() const noexcept { return draining_.load(std::memory_order_acquire); }

 private:
  // Shared with the handlers begin() posts; `stream` and `busy` are touched
  // only on the session's executor.
  struct Connection {
    boost::asio::any_io_executor ex;
    boost::beast::tcp_stream* stream = nullptr;
    bool busy = false;
  };

  std::atomic<bool> draining_{false};
  std::mutex m_;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
};

}  // namespace asyncfetch
