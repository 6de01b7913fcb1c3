#include "asyncfetch/wire/h2_request_headers.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <array>

#include "asyncfetch/wire/credentials.hpp"
#include "http_text.hpp"

namespace asyncfetch {

namespace {

using boost::beast::iequals;

// RFC 9113 8.2.2: fields that describe the HTTP/1.1 connection, not the request.
bool connection_specific(std::string_view name, std::string_view value) {
  static constexpr std::array<std::string_view, 6> names = {"connection",        "keep-alive", "proxy-connection",
                                                            "transfer-encoding", "upgrade",    "http2-settings"};
  if (std::any_of(names.begin(), names.end(), [&](std::string_view n) { return iequals(name, n); })) return true;
  return iequals(name, "te") && !iequals(value, "trailers");
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::vector<H2Field> h2_request_headers(std::string_view method, const Url& url,
                                        const std::vector<std::pair<std::string, std::string>>& headers,
                                        bool strip_credentials, std::size_t body_bytes,
                                        const ServiceFields& service) {
  auto sent = [&](std::string_view name) {
    return !(strip_credentials && (iequals(name, "authorization") || iequals(name, "cookie")));
  };
  // The index of the client's last field named `name`, or headers.size().
  auto last_set_by_client = [&](std::string_view name) {
    std::size_t found = headers.size();
    for (std::size_t i = 0; i < headers.size(); ++i)
      if (sent(headers[i].first) && iequals(headers[i].first, name)) found = i;
    return found;
  };

  const std::size_t host = last_set_by_client("host");
  std::vector<H2Field> out;
  out.reserve(9 + headers.size());
  out.push_back({":method", std::string(method)});
  out.push_back({":scheme", url.scheme});
  out.push_back({":authority", host < headers.size() ? std::string(trim_ows(headers[host].second)) : url.host_header()});
  out.push_back({":path", url.target});
  if (last_set_by_client("user-agent") == headers.size()) out.push_back({"user-agent", "asyncfetch/0.1"});
  if (last_set_by_client("accept") == headers.size()) out.push_back({"accept", "*/*"});
  if (url.credentials && !strip_credentials && last_set_by_client("authorization") == headers.size())
    out.push_back({"authorization", basic_authorization(*url.credentials)});
  if (!service.accept_encoding.empty() && last_set_by_client("accept-encoding") == headers.size())
    out.push_back({"accept-encoding", std::string(service.accept_encoding)});
  if (!service.traceparent.empty() && last_set_by_client("traceparent") == headers.size())
    out.push_back({"traceparent", std::string(service.traceparent)});
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const auto& [name, value] = headers[i];
    const auto v = trim_ows(value);
    if (!sent(name) || iequals(name, "host") || connection_specific(name, v)) continue;
    if (last_set_by_client(name) != i) continue;  // a later field of the same name wins
    out.push_back({lower(name), std::string(v)});
  }
  if (body_bytes > 0 || method == "POST" || method == "PUT" || method == "OPTIONS" || method == "PATCH")
    out.push_back({"content-length", std::to_string(body_bytes)});
  return out;
}

}  // namespace asyncfetch
