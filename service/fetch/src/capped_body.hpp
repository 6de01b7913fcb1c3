// CappedBody: the Beast body type of an upstream response. It counts every
// byte, keeps at most `cap` of them when asked to (include_body), and ends the
// read with http::error::body_limit once the body passes the cap, having taken
// exactly `cap` bytes. The parser's own body_limit is turned off for it: it
// would fail before the first byte when Content-Length is over the cap, so
// neither the count nor the kept part would be there.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>

#include <algorithm>
#include <cstdint>
#include <string>

namespace asyncfetch {

struct CappedBody {
  struct value_type {
    std::uint64_t cap = 0;
    bool keep = false;          // keep the bytes (up to cap) in `data`
    std::uint64_t received = 0;  // bytes taken, at most cap
    bool truncated = false;      // the body went on past the cap
    std::string data;
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>&, value_type& b) : b_(b) {}

    void init(const boost::optional<std::uint64_t>&, boost::beast::error_code& ec) { ec = {}; }

    template <class Buffers>
    std::size_t put(const Buffers& buffers, boost::beast::error_code& ec) {
      namespace net = boost::asio;
      const std::size_t n = net::buffer_size(buffers);
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(n, b_.cap - b_.received));
      if (b_.keep) {
        std::size_t left = take;
        for (auto it = net::buffer_sequence_begin(buffers); left && it != net::buffer_sequence_end(buffers); ++it) {
          const net::const_buffer cb = *it;
          const std::size_t k = std::min(left, cb.size());
          b_.data.append(static_cast<const char*>(cb.data()), k);
          left -= k;
        }
      }
      b_.received += take;
      if (take < n) {
        b_.truncated = true;
        ec = boost::beast::http::error::body_limit;
        return take;
      }
      ec = {};
      return n;
    }

    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& b_;
  };
};

}  // namespace asyncfetch
