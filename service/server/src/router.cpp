#include "router.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

namespace asyncfetch {

namespace http = boost::beast::http;

namespace {

// Takes as long whatever the first difference, so that the token cannot be
// guessed byte by byte from the time a refusal takes.
bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() != b.size();
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

Reply unauthorized() {
  auto r = error_reply(http::status::unauthorized, "unauthorized", "missing or wrong bearer token");
  r.headers.emplace_back(http::field::www_authenticate, "Bearer");
  return r;
}

// 405 unless `req` uses `allowed` (GET allows HEAD too).
std::optional<Reply> method_not_allowed(const Request& req, std::string_view path, http::verb allowed,
                                        const char* allow) {
  const auto method = req.method();
  if (method == allowed || (allowed == http::verb::get && method == http::verb::head)) return std::nullopt;
  auto r = error_reply(http::status::method_not_allowed, "method_not_allowed",
                       std::string(req.method_string()) + " is not allowed on " + std::string(path));
  r.headers.emplace_back(http::field::allow, allow);
  return r;
}

}  // namespace

bool Router::authorized(const Request& req) const {
  if (config_.auth_token.empty()) return true;
  const auto it = req.find(http::field::authorization);
  if (it == req.end()) return false;
  const std::string_view v(it->value().data(), it->value().size());
  constexpr std::string_view prefix = "Bearer ";
  if (v.size() < prefix.size() || !boost::beast::iequals(v.substr(0, prefix.size()), prefix)) return false;
  return constant_time_equal(v.substr(prefix.size()), config_.auth_token);
}

bool Router::ready() const { return ready_.is_set() && !drain_.draining(); }

runtime::Task<Handled> Router::route(Request& req, boost::beast::tcp_stream& stream, const RequestContext& context) {
  const std::string_view target(req.target().data(), req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));

  if (path == "/healthz") {
    if (auto r = method_not_allowed(req, path, http::verb::get, "GET, HEAD")) co_return *r;
    co_return json_reply(http::status::ok, "{\"status\":\"ok\"}\n");
  }
  if (path == "/readyz") {
    if (auto r = method_not_allowed(req, path, http::verb::get, "GET, HEAD")) co_return *r;
    if (ready()) co_return json_reply(http::status::ok, "{\"ready\":true}\n");
    co_return json_reply(http::status::service_unavailable, "{\"ready\":false}\n");
  }
  if (path == "/stats" || path == "/metrics") {
    if (auto r = method_not_allowed(req, path, http::verb::get, "GET, HEAD")) co_return *r;
    if (!authorized(req)) co_return unauthorized();
    const auto snap = co_await stats_.snapshot();
    if (path == "/stats") co_return json_reply(http::status::ok, Stats::to_json(snap));
    Reply r = json_reply(http::status::ok, Stats::to_prometheus(snap, ready()));
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    co_return r;
  }
  if (path == "/fetch") {
    if (auto r = method_not_allowed(req, path, http::verb::post, "POST")) co_return *r;
    if (!authorized(req)) co_return unauthorized();
    co_return co_await fetch_.handle(req, stream, context);
  }
  co_return error_reply(http::status::not_found, "not_found", "no such endpoint: " + std::string(path));
}

}  // namespace asyncfetch
