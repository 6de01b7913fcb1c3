#include "asyncfetch/wire/request_head.hpp"

#include <boost/beast/core/string.hpp>

#include "asyncfetch/wire/credentials.hpp"
#include "http_text.hpp"

namespace asyncfetch {

std::string request_head(std::string_view method, const Url& url,
                         const std::vector<std::pair<std::string, std::string>>& headers, bool strip_credentials,
                         std::size_t body_bytes, const ServiceFields& service) {
  using boost::beast::iequals;
  auto sent = [&](std::string_view name) {
    return !(strip_credentials && (iequals(name, "authorization") || iequals(name, "cookie")));
  };
  // Beast's set() drops every field of the same name (in any case) and
  // appends the new one: a default the client sets moves to the client's
  // place, and of two client fields that differ only in case the later wins.
  auto set_by_client_after = [&](std::size_t first, std::string_view name) {
    for (std::size_t i = first; i < headers.size(); ++i)
      if (sent(headers[i].first) && iequals(headers[i].first, name)) return true;
    return false;
  };

  std::string out;
  out.reserve(96 + url.target.size() + url.host.size() + service.accept_encoding.size() + service.traceparent.size());
  out += method;
  out += ' ';
  out += url.target;
  out += " HTTP/1.1\r\n";
  if (!set_by_client_after(0, "Host")) append_field(out, "Host", url.host_header());
  if (!set_by_client_after(0, "User-Agent")) append_field(out, "User-Agent", "asyncfetch/0.1");
  if (!set_by_client_after(0, "Accept")) append_field(out, "Accept", "*/*");
  if (url.credentials && !strip_credentials && !set_by_client_after(0, "Authorization"))
    append_field(out, "Authorization", basic_authorization(*url.credentials));
  if (!service.accept_encoding.empty() && !set_by_client_after(0, "Accept-Encoding"))
    append_field(out, "Accept-Encoding", service.accept_encoding);
  if (!service.traceparent.empty() && !set_by_client_after(0, "traceparent"))
    append_field(out, "traceparent", service.traceparent);
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const auto& [name, value] = headers[i];
    // Trimmed, as Beast trims a value when it stores it.
    if (sent(name) && !set_by_client_after(i + 1, name)) append_field(out, name, trim_ows(value));
  }
  // prepare_payload() announces a body, and an empty one for POST, PUT and
  // OPTIONS; PATCH too here, as Go's client does: servers expect a length with it.
  if (body_bytes > 0 || method == "POST" || method == "PUT" || method == "OPTIONS" || method == "PATCH")
    append_field(out, "Content-Length", std::to_string(body_bytes));
  out += "\r\n";
  return out;
}

}  // namespace asyncfetch
