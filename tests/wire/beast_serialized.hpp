// What Beast's serializer writes for a message: the reference the hand-written
// request and reply heads are compared against, byte for byte.
#pragma once

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/error.hpp>

#include <catch2/catch.hpp>

#include <string>

// Drives `sr` to the end of the header (header_only) or of the message.
template <class Serializer>
std::string beast_serialized(Serializer& sr, bool header_only) {
  std::string out;
  boost::beast::error_code ec;
  while (header_only ? !sr.is_header_done() : !sr.is_done()) {
    sr.next(ec, [&](boost::beast::error_code&, const auto& buffers) {
      out += boost::beast::buffers_to_string(buffers);
      sr.consume(boost::beast::buffer_bytes(buffers));
    });
    REQUIRE(!ec);
  }
  return out;
}
