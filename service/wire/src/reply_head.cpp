#include "asyncfetch/wire/reply_head.hpp"

#include <charconv>

#include "http_text.hpp"

namespace asyncfetch {

namespace http = boost::beast::http;

std::string reply_head(http::status status, unsigned version, std::string_view content_type,
                       const std::vector<std::pair<http::field, std::string>>& fields, bool keep_alive,
                       std::size_t content_length, std::string_view request_id) {
  std::string out;
  out.reserve(128);
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  char num[24];
  out.append(num, std::to_chars(num, num + sizeof num, static_cast<unsigned>(status)).ptr);
  out += ' ';
  out += http::obsolete_reason(status);
  out += "\r\n";
  append_field(out, "Server", "asyncfetch");
  append_field(out, "Content-Type", content_type);
  for (const auto& [f, v] : fields) append_field(out, http::to_string(f), v);
  if (!request_id.empty()) append_field(out, "X-Request-Id", request_id);
  // keep_alive(): HTTP/1.1 is persistent unless closed, HTTP/1.0 the reverse.
  if (version >= 11 && !keep_alive) append_field(out, "Connection", "close");
  if (version < 11 && keep_alive) append_field(out, "Connection", "keep-alive");
  const char* cl_end = std::to_chars(num, num + sizeof num, content_length).ptr;
  append_field(out, "Content-Length", std::string_view(num, static_cast<std::size_t>(cl_end - num)));
  out += "\r\n";
  return out;
}

}  // namespace asyncfetch
