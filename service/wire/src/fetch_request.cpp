#include "asyncfetch/wire/fetch_request.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>

namespace asyncfetch {

namespace {

using nlohmann::json;

ApiError field_error(std::string_view field, const std::string& what) {
  // Appended, not `"\"" + std::string(field) + ...`: GCC 12 at -O3 raises a
  // false -Wrestrict on a literal + std::string&& (GCC bug 105651).
  std::string message = "\"";
  message.append(field).append("\": ").append(what);
  return ApiError{400, "invalid_field", std::move(message)};
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

// A field's value as the request gave it (the last one, if a key repeats):
// what the checks below need to know of it, without a JSON tree.
struct Value {
  // absent: the key was not given; other: null, a float, an object or an array.
  enum class Kind { absent, unsigned_int, negative_int, string, boolean, other };
  Value() = default;
  explicit Value(Kind k) : kind(k) {}

  Kind kind = Kind::absent;
  std::uint64_t u = 0;
  std::int64_t i = 0;
  bool b = false;
  std::string s;
};

// Collects the body's fields while nlohmann's SAX parser reads it. Never stops
// the parse early: a syntax error anywhere wins over a field error (a body
// that is not JSON is invalid_json, whatever its fields). Repeated keys: the
// last one counts.
class Collector final : public json::json_sax_t {
 public:
  bool top_is_object = false;
  std::optional<std::string> first_unknown;  // in key order, as a JSON object iterates
  // urls
  Value urls_value;  // kind other while it is an array
  bool urls_is_array = false;
  std::vector<std::string> urls;
  std::size_t urls_count = 0;                 // elements, strings or not
  std::optional<std::size_t> urls_not_string;  // the first element that is not a string
  // the scalar fields
  Value concurrency, timeout_ms, retries, method, include_body, decode, include_headers, include_timings;
  // headers: sorted by name, a repeated name's last value
  Value headers_value;
  bool headers_is_object = false;
  std::map<std::string, Value> headers;

  bool null() override { return scalar(Value{Value::Kind::other}); }
  bool boolean(bool v) override {
    Value x{Value::Kind::boolean};
    x.b = v;
    return scalar(std::move(x));
  }
  bool number_integer(number_integer_t v) override {
    Value x{Value::Kind::negative_int};
    x.i = v;
    return scalar(std::move(x));
  }
  bool number_unsigned(number_unsigned_t v) override {
    Value x{Value::Kind::unsigned_int};
    x.u = v;
    return scalar(std::move(x));
  }
  bool number_float(number_float_t, const string_t&) override { return scalar(Value{Value::Kind::other}); }
  bool string(string_t& v) override {
    if (depth_ == 2 && field_ == Field::urls && urls_is_array) {
      urls.push_back(std::move(v));  // the lexer clears its buffer before the next token
      ++urls_count;
      return true;
    }
    Value x{Value::Kind::string};
    x.s = std::move(v);
    return scalar(std::move(x));
  }
  bool binary(binary_t&) override { return scalar(Value{Value::Kind::other}); }
  bool start_object(std::size_t) override { return open(true); }
  bool start_array(std::size_t) override { return open(false); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (depth_ == 1) {
      field_ = field_of(k);
      if (field_ == Field::unknown && (!first_unknown || k < *first_unknown)) first_unknown = k;
    } else if (depth_ == 2 && field_ == Field::headers && headers_is_object) {
      header_ = &headers[k];
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  enum class Field {
    urls, concurrency, timeout_ms, retries, method, include_body, decode, include_headers, include_timings, headers,
    unknown
  };
  static Field field_of(std::string_view k) {
    if (k == "urls") return Field::urls;
    if (k == "concurrency") return Field::concurrency;
    if (k == "timeout_ms") return Field::timeout_ms;
    if (k == "retries") return Field::retries;
    if (k == "method") return Field::method;
    if (k == "include_body") return Field::include_body;
    if (k == "decode") return Field::decode;
    if (k == "include_headers") return Field::include_headers;
    if (k == "include_timings") return Field::include_timings;
    if (k == "headers") return Field::headers;
    return Field::unknown;
  }

  // A field's value (depth 1), or an element of urls / a header's value (depth 2).
  bool scalar(Value v) {
    if (depth_ == 1) {
      set_field(std::move(v));
    } else if (depth_ == 2) {
      element(std::move(v));
    }
    return true;
  }
  bool open(bool object) {
    if (depth_ == 0) {
      top_is_object = object;
    } else if (depth_ == 1) {
      set_field(Value{Value::Kind::other});
      if (field_ == Field::urls) urls_is_array = !object;
      if (field_ == Field::headers) headers_is_object = object;
    } else if (depth_ == 2) {
      element(Value{Value::Kind::other});
    }
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }
  void set_field(Value v) {
    switch (field_) {
      case Field::urls:
        urls_value = std::move(v);
        urls_is_array = false;
        urls.clear();
        urls_count = 0;
        urls_not_string.reset();
        break;
      case Field::headers:
        headers_value = std::move(v);
        headers_is_object = false;
        headers.clear();
        header_ = nullptr;
        break;
      case Field::concurrency: concurrency = std::move(v); break;
      case Field::timeout_ms: timeout_ms = std::move(v); break;
      case Field::retries: retries = std::move(v); break;
      case Field::method: method = std::move(v); break;
      case Field::include_body: include_body = std::move(v); break;
      case Field::decode: decode = std::move(v); break;
      case Field::include_headers: include_headers = std::move(v); break;
      case Field::include_timings: include_timings = std::move(v); break;
      case Field::unknown: break;
    }
  }
  void element(Value v) {
    if (field_ == Field::urls && urls_is_array) {
      if (!urls_not_string) urls_not_string = urls_count;
      ++urls_count;
    } else if (field_ == Field::headers && headers_is_object && header_) {
      *header_ = std::move(v);
    }
  }

  int depth_ = 0;  // 1: inside the top-level object
  Field field_ = Field::unknown;
  Value* header_ = nullptr;  // the header whose value comes next
};

// An integer field in [lo, hi], or an error naming it (the message is built
// only for an error: this runs for nearly every request).
std::variant<unsigned, ApiError> get_uint(const Value& v, std::string_view field, unsigned lo, unsigned hi) {
  auto range = [&] { return "must be an integer " + std::to_string(lo) + ".." + std::to_string(hi); };
  if (v.kind == Value::Kind::unsigned_int) {
    if (v.u < lo || v.u > hi) return field_error(field, range() + ", got " + std::to_string(v.u));
    return static_cast<unsigned>(v.u);
  }
  if (v.kind == Value::Kind::negative_int) {
    if (v.i < static_cast<std::int64_t>(lo) || v.i > static_cast<std::int64_t>(hi))
      return field_error(field, range() + ", got " + std::to_string(v.i));
    return static_cast<unsigned>(v.i);
  }
  return field_error(field, range());
}

// A boolean field into `out` when given, or an error naming it.
std::optional<ApiError> get_bool(const Value& v, std::string_view field, bool& out) {
  if (v.kind == Value::Kind::absent) return std::nullopt;
  if (v.kind != Value::Kind::boolean) return field_error(field, "must be true or false");
  out = v.b;
  return std::nullopt;
}

}  // namespace

// Read with nlohmann's SAX parser into the few fields there are, instead of a
// JSON tree (a map node, a value and strings per field) that is then searched.
std::variant<FetchJob, ApiError> parse_fetch_request(std::string_view body, const FetchRequestRules& rules) {
  Collector c;
  if (!json::sax_parse(body, &c)) return ApiError{400, "invalid_json", "request body is not valid JSON"};
  if (!c.top_is_object) return ApiError{400, "invalid_json", "request body must be a JSON object"};
  if (c.first_unknown) return field_error(*c.first_unknown, "unknown field");

  FetchJob job;
  if (c.urls_value.kind == Value::Kind::absent) return field_error("urls", "is required");
  if (!c.urls_is_array) return field_error("urls", "must be an array of strings");
  if (c.urls_count == 0 || c.urls_count > rules.max_urls)
    return field_error("urls", "must hold 1.." + std::to_string(rules.max_urls) + " URLs, got " +
                                   std::to_string(c.urls_count));
  if (c.urls_not_string) return field_error("urls[" + std::to_string(*c.urls_not_string) + "]", "must be a string");
  job.urls = std::move(c.urls);

  job.concurrency = std::min(rules.default_concurrency, rules.max_concurrency);
  if (c.concurrency.kind != Value::Kind::absent) {
    auto v = get_uint(c.concurrency, "concurrency", 1, rules.max_concurrency);
    if (auto* e = std::get_if<ApiError>(&v)) return *e;
    job.concurrency = std::get<unsigned>(v);
  }
  job.timeout = rules.default_timeout;
  if (c.timeout_ms.kind != Value::Kind::absent) {
    auto v = get_uint(c.timeout_ms, "timeout_ms", 1, 600000);
    if (auto* e = std::get_if<ApiError>(&v)) return *e;
    job.timeout = std::chrono::milliseconds(std::get<unsigned>(v));
  }
  if (c.retries.kind != Value::Kind::absent) {
    auto v = get_uint(c.retries, "retries", 0, 5);
    if (auto* e = std::get_if<ApiError>(&v)) return *e;
    job.retries = std::get<unsigned>(v);
  }
  if (c.method.kind != Value::Kind::absent) {
    static constexpr std::array<std::string_view, 7> methods = {"GET", "HEAD", "POST", "PUT",
                                                                "DELETE", "OPTIONS", "PATCH"};
    if (c.method.kind != Value::Kind::string || std::find(methods.begin(), methods.end(), c.method.s) == methods.end())
      return field_error("method", "must be one of GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH");
    job.method = std::move(c.method.s);
  }
  if (auto e = get_bool(c.include_body, "include_body", job.include_body)) return *e;
  if (auto e = get_bool(c.decode, "decode", job.decode)) return *e;
  if (auto e = get_bool(c.include_headers, "include_headers", job.include_headers)) return *e;
  if (auto e = get_bool(c.include_timings, "include_timings", job.include_timings)) return *e;
  if (c.headers_value.kind != Value::Kind::absent) {
    if (!c.headers_is_object) return field_error("headers", "must be an object of strings");
    if (c.headers.size() > 64) return field_error("headers", "at most 64 headers");
    for (auto& [name, value] : c.headers) {
      std::string field = "headers." + name;
      if (!valid_token(name)) return field_error(field, "is not a valid header name");
      if (reserved_header(name)) return field_error(field, "is set by the service and cannot be overridden");
      if (value.kind != Value::Kind::string) return field_error(field, "must be a string");
      if (!valid_header_value(value.s)) return field_error(field, "must not contain control characters (max 8 KiB)");
      job.headers.emplace_back(name, std::move(value.s));
    }
  }
  return job;
}

std::string error_body(const ApiError& e) {
  return json{{"error", {{"code", e.code}, {"message", e.message}}}}.dump() + "\n";
}

}  // namespace asyncfetch
