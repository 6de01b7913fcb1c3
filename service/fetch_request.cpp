#include "fetch_request.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace asyncfetch {

namespace {

using nlohmann::json;

ApiError field_error(std::string_view field, const std::string& what) {
  return ApiError{400, "invalid_field", "\"" + std::string(field) + "\": " + what};
}

// Headers the service owns: a client may not set them.
bool reserved_header(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  static constexpr std::array<std::string_view, 9> reserved = {
      "host", "content-length", "transfer-encoding", "connection", "keep-alive",
      "upgrade", "te", "trailer", "proxy-connection"};
  return std::find(reserved.begin(), reserved.end(), name) != reserved.end();
}

bool valid_token(const std::string& s) {  // RFC 9110 token
  if (s.empty() || s.size() > 256) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool valid_header_value(const std::string& s) {
  if (s.size() > 8192) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); });
}

// An integer field in [lo, hi], or an error naming it (the message is built
// only for an error: this runs for nearly every request).
std::variant<unsigned, ApiError> get_uint(const json& v, std::string_view field, unsigned lo, unsigned hi) {
  auto range = [&] { return "must be an integer " + std::to_string(lo) + ".." + std::to_string(hi); };
  if (!v.is_number_integer()) return field_error(field, range());
  if (v.is_number_unsigned()) {
    auto n = v.get<std::uint64_t>();
    if (n < lo || n > hi) return field_error(field, range() + ", got " + std::to_string(n));
    return static_cast<unsigned>(n);
  }
  auto n = v.get<std::int64_t>();
  if (n < static_cast<std::int64_t>(lo) || n > static_cast<std::int64_t>(hi))
    return field_error(field, range() + ", got " + std::to_string(n));
  return static_cast<unsigned>(n);
}

}  // namespace

std::variant<FetchJob, ApiError> parse_fetch_request(std::string_view body, const Config& config) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return ApiError{400, "invalid_json", "request body is not valid JSON"};
  if (!j.is_object()) return ApiError{400, "invalid_json", "request body must be a JSON object"};

  static constexpr std::array<std::string_view, 7> known = {
      "urls", "concurrency", "timeout_ms", "method", "headers", "include_body", "retries"};
  for (const auto& [key, _] : j.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end())
      return field_error(key, "unknown field");
  }

  FetchJob job;
  const auto urls_it = j.find("urls");
  if (urls_it == j.end()) return field_error("urls", "is required");
  json& urls = *urls_it;
  if (!urls.is_array()) return field_error("urls", "must be an array of strings");
  if (urls.empty() || urls.size() > config.max_urls_per_request)
    return field_error("urls", "must hold 1.." + std::to_string(config.max_urls_per_request) + " URLs, got " +
                                   std::to_string(urls.size()));
  job.urls.reserve(urls.size());
  for (std::size_t i = 0; i < urls.size(); ++i) {
    if (!urls[i].is_string()) return field_error("urls[" + std::to_string(i) + "]", "must be a string");
    job.urls.push_back(std::move(urls[i].get_ref<std::string&>()));  // the tree is thrown away next
  }

  job.concurrency = std::min(config.default_concurrency, config.max_concurrency_per_request);
  if (auto it = j.find("concurrency"); it != j.end()) {
    auto v = get_uint(*it, "concurrency", 1, config.max_concurrency_per_request);
    if (auto* e = std::get_if<ApiError>(&v)) return *e;
    job.concurrency = std::get<unsigned>(v);
  }
  job.timeout = std::chrono::milliseconds(config.timeout_ms);
  if (auto it = j.find("timeout_ms"); it != j.end()) {
    auto v = get_uint(*it, "timeout_ms", 1, 600000);
    if (auto* e = std::get_if<ApiError>(&v)) return *e;
    job.timeout = std::chrono::milliseconds(std::get<unsigned>(v));
  }
  if (auto it = j.find("retries"); it != j.end()) {
    auto v = get_uint(*it, "retries", 0, 5);
    if (auto* e = std::get_if<ApiError>(&v)) return *e;
    job.retries = std::get<unsigned>(v);
  }
  if (j.contains("method")) {
    static constexpr std::array<std::string_view, 7> methods = {"GET", "HEAD", "POST", "PUT",
                                                                "DELETE", "OPTIONS", "PATCH"};
    const json& m = j["method"];
    if (!m.is_string() || std::find(methods.begin(), methods.end(), m.get<std::string>()) == methods.end())
      return field_error("method", "must be one of GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH");
    job.method = m.get<std::string>();
  }
  if (j.contains("include_body")) {
    if (!j["include_body"].is_boolean()) return field_error("include_body", "must be true or false");
    job.include_body = j["include_body"].get<bool>();
  }
  if (j.contains("headers")) {
    const json& h = j["headers"];
    if (!h.is_object()) return field_error("headers", "must be an object of strings");
    if (h.size() > 64) return field_error("headers", "at most 64 headers");
    for (const auto& [name, value] : h.items()) {
      std::string field = "headers." + name;
      if (!valid_token(name)) return field_error(field, "is not a valid header name");
      if (reserved_header(name)) return field_error(field, "is set by the service and cannot be overridden");
      if (!value.is_string()) return field_error(field, "must be a string");
      auto s = value.get<std::string>();
      if (!valid_header_value(s)) return field_error(field, "must not contain control characters (max 8 KiB)");
      job.headers.emplace_back(name, std::move(s));
    }
  }
  return job;
}

std::string error_body(const ApiError& e) {
  return json{{"error", {{"code", e.code}, {"message", e.message}}}}.dump() + "\n";
}

}  // namespace asyncfetch
