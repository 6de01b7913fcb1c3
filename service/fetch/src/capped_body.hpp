// CappedBody: the Beast body type of an upstream response. With `decode` on,
// it undoes the response's content codings as the bytes arrive (a
// ContentDecoder fed from each read, so the encoded body is never held whole).
// It counts the bytes as they arrived and as decoded, keeps at most `cap`
// decoded bytes when asked to (include_body), and ends the read with
// http::error::body_limit once the decoded body passes the cap, having
// produced exactly `cap` bytes: a compression bomb stops there. The parser's
// own body_limit is turned off for it: it would fail before the first byte
// when Content-Length is over the cap, so neither the count nor the kept part
// would be there (and it limits the encoded size, not the decoded one).
//
// A body whose codings are not all ones the decoder knows (compress, or more
// than max_content_codings) is taken as it arrived, like an unencoded one.
// Encoded data that is corrupt, or that ends in the middle of a coding's
// stream, ends the read with `bad_encoding` set (and an error code that only
// says the read failed: the caller looks at bad_encoding).
//
// The reader holds no decoder for a body without Content-Encoding: the cost
// of decoding is paid by encoded responses only.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

#include "asyncfetch/wire/content_coding.hpp"
#include "asyncfetch/wire/content_decoder.hpp"

namespace asyncfetch {

// The Content-Encoding fields of a head as one list (RFC 9110 §5.3: several
// fields of a list are one field with the values joined by commas).
inline std::string content_encoding_field(const boost::beast::http::fields& fields) {
  std::string value;
  auto [it, end] = fields.equal_range(boost::beast::http::field::content_encoding);
  for (; it != end; ++it) {
    if (!value.empty()) value += ',';
    value.append(it->value().data(), it->value().size());
  }
  return value;
}

struct CappedBody {
  struct value_type {
    std::uint64_t cap = 0;
    bool keep = false;    // keep the decoded bytes (up to cap) in `data`
    bool decode = false;  // undo the content codings the decoder knows
    bool truncated = false;     // the decoded body went on past the cap
    std::optional<DecodeStatus> bad_encoding;  // corrupt or truncated encoded data
    std::uint64_t received = 0;    // decoded bytes taken, at most cap
    std::uint64_t wire_bytes = 0;  // bytes taken as they arrived
    std::string data;
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>& h, value_type& b) : fields_(h), b_(b) {
      static_assert(std::is_same_v<Fields, boost::beast::http::fields>, "CappedBody reads http::fields");
    }

    // Called once the head is parsed, before the first body byte.
    void init(const boost::optional<std::uint64_t>&, boost::beast::error_code& ec) {
      ec = {};
      if (!b_.decode || fields_.find(boost::beast::http::field::content_encoding) == fields_.end()) return;
      const std::string value = content_encoding_field(fields_);
      const auto codings = parse_content_encoding(value);
      if (codings && !codings->empty()) decoder_.emplace(*codings, b_.cap);
    }

    template <class Buffers>
    std::size_t put(const Buffers& buffers, boost::beast::error_code& ec) {
      namespace net = boost::asio;
      ec = {};
      std::size_t used = 0;
      for (auto it = net::buffer_sequence_begin(buffers); !ec && it != net::buffer_sequence_end(buffers); ++it) {
        const net::const_buffer cb = *it;
        const std::span<const std::byte> bytes(static_cast<const std::byte*>(cb.data()), cb.size());
        used += decoder_ ? decode(bytes, ec) : take(bytes, ec);
      }
      return used;
    }

    void finish(boost::beast::error_code& ec) {
      ec = {};
      if (decoder_ && decoder_->finish() == DecodeStatus::truncated) fail(DecodeStatus::truncated, ec);
    }

   private:
    // An unencoded body: taken as it is, up to the cap.
    std::size_t take(std::span<const std::byte> bytes, boost::beast::error_code& ec) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), b_.cap - b_.received));
      if (b_.keep) b_.data.append(reinterpret_cast<const char*>(bytes.data()), n);
      b_.received += n;
      b_.wire_bytes += n;
      if (n < bytes.size()) {
        b_.truncated = true;
        ec = boost::beast::http::error::body_limit;
      }
      return n;
    }

    std::size_t decode(std::span<const std::byte> bytes, boost::beast::error_code& ec) {
      DecodeStatus status;
      if (b_.keep) {
        StringSink sink(b_.data);
        status = decoder_->feed(bytes, sink);
      } else {
        DiscardSink sink;
        status = decoder_->feed(bytes, sink);
      }
      b_.received = decoder_->decoded_bytes();
      b_.wire_bytes = decoder_->wire_bytes();
      if (status == DecodeStatus::too_large) {
        b_.truncated = true;
        ec = boost::beast::http::error::body_limit;
      } else if (status == DecodeStatus::corrupt) {
        fail(status, ec);
      }
      return bytes.size();
    }

    void fail(DecodeStatus why, boost::beast::error_code& ec) {
      b_.bad_encoding = why;
      ec = make_error_code(boost::system::errc::illegal_byte_sequence);
    }

    const boost::beast::http::fields& fields_;
    value_type& b_;
    std::optional<ContentDecoder> decoder_;
  };
};

}  // namespace asyncfetch
