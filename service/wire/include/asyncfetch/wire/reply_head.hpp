// The head of a reply the API server sends: status line, Server,
// Content-Type, the reply's own fields, X-Request-Id when given, Connection
// when needed and
// Content-Length, byte for byte as Beast's serializer writes a
// response<string_body> after keep_alive() and prepare_payload(), but
// without building a message, its field list and a serializer per reply.
//
// For replies with a body length to announce: not for 1xx, 204 or 304.
#pragma once

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncfetch {

std::string reply_head(boost::beast::http::status status, unsigned version, std::string_view content_type,
                       const std::vector<std::pair<boost::beast::http::field, std::string>>& fields, bool keep_alive,
                       std::size_t content_length, std::string_view request_id = {});

}  // namespace asyncfetch
