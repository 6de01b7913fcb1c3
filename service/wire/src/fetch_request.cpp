#include "asyncfetch/wire/fetch_request.hpp"

#include <boost/beast/core/string.hpp>
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

// A `headers` field: sorted by name, a repeated name's last value.
struct RawHeaders {
  Value value;  // kind other while it is an object
  bool is_object = false;
  std::map<std::string, Value> entries;
  Value* next = nullptr;  // the entry whose value comes next

  void set(Value v, bool object) {
    value = std::move(v);
    is_object = object;
    entries.clear();
    next = nullptr;
  }
  void key(const std::string& k) {
    if (is_object) next = &entries[k];
  }
  void entry(Value v) {
    if (is_object && next) *next = std::move(v);
  }
};

// An entry of `urls` that is an object.
struct RawItem {
  explicit RawItem(std::size_t i) : index(i) {}
  std::size_t index;
  std::optional<std::string> first_unknown;  // in key order
  Value url, id, method, body;
  RawHeaders headers;
};

// Collects the body's fields while nlohmann's SAX parser reads it. Never stops
// the parse early: a syntax error anywhere wins over a field error (a body
// that is not JSON is invalid_json, whatever its fields). Repeated keys: the
// last one counts. Depths: 1 is the top-level object's fields, 2 an entry of
// `urls` or of `headers`, 3 an item's fields, 4 an item's headers.
class Collector final : public json::json_sax_t {
 public:
  bool top_is_object = false;
  std::optional<std::string> first_unknown;  // in key order, as a JSON object iterates
  // urls: strings straight into `urls`, objects into `items` (with a
  // placeholder in `urls`, so that indexes stay those of the request)
  Value urls_value;  // kind other while it is an array
  bool urls_is_array = false;
  std::vector<std::string> urls;
  std::vector<RawItem> items;
  std::optional<std::size_t> urls_bad;  // the first entry that is neither a string nor an object
  // the scalar fields
  Value concurrency, per_host_concurrency, timeout_ms, try_timeout_ms, hedge_after_ms, retries, method, include_body,
      body, decode, include_headers, include_timings;
  RawHeaders headers;

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
    if (depth_ == 2 && in_urls()) {
      urls.push_back(std::move(v));  // the lexer clears its buffer before the next token
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
    } else if (depth_ == 2 && field_ == Field::headers) {
      headers.key(k);
    } else if (depth_ == 3 && in_item_) {
      auto& item = items.back();
      item_field_ = item_field_of(k);
      if (item_field_ == ItemField::unknown && (!item.first_unknown || k < *item.first_unknown))
        item.first_unknown = k;
    } else if (depth_ == 4 && in_item_ && item_field_ == ItemField::headers) {
      items.back().headers.key(k);
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  enum class Field {
    urls, concurrency, per_host_concurrency, timeout_ms, try_timeout_ms, hedge_after_ms, retries, method, include_body,
    headers,
    body, decode, include_headers, include_timings, unknown
  };
  static Field field_of(std::string_view k) {
    if (k == "urls") return Field::urls;
    if (k == "concurrency") return Field::concurrency;
    if (k == "per_host_concurrency") return Field::per_host_concurrency;
    if (k == "timeout_ms") return Field::timeout_ms;
    if (k == "try_timeout_ms") return Field::try_timeout_ms;
    if (k == "hedge_after_ms") return Field::hedge_after_ms;
    if (k == "retries") return Field::retries;
    if (k == "method") return Field::method;
    if (k == "include_body") return Field::include_body;
    if (k == "decode") return Field::decode;
    if (k == "include_headers") return Field::include_headers;
    if (k == "include_timings") return Field::include_timings;
    if (k == "headers") return Field::headers;
    if (k == "body") return Field::body;
    return Field::unknown;
  }
  enum class ItemField { url, id, method, headers, body, unknown };
  static ItemField item_field_of(std::string_view k) {
    if (k == "url") return ItemField::url;
    if (k == "id") return ItemField::id;
    if (k == "method") return ItemField::method;
    if (k == "headers") return ItemField::headers;
    if (k == "body") return ItemField::body;
    return ItemField::unknown;
  }

  bool in_urls() const { return field_ == Field::urls && urls_is_array; }

  enum class Shape { scalar, object, array };

  bool scalar(Value v) {
    if (depth_ == 1) {
      set_field(std::move(v), Shape::scalar);
    } else if (depth_ == 2) {
      element(std::move(v));
    } else if (depth_ == 3 && in_item_) {
      set_item_field(std::move(v), Shape::scalar);
    } else if (depth_ == 4 && in_item_ && item_field_ == ItemField::headers) {
      items.back().headers.entry(std::move(v));
    }
    return true;
  }
  bool open(bool object) {
    if (depth_ == 0) {
      top_is_object = object;
    } else if (depth_ == 1) {
      set_field(Value{Value::Kind::other}, object ? Shape::object : Shape::array);
    } else if (depth_ == 2 && in_urls() && object) {
      items.emplace_back(urls.size());
      urls.emplace_back();
      in_item_ = true;
    } else if (depth_ == 2) {
      element(Value{Value::Kind::other});
    } else if (depth_ == 3 && in_item_) {
      set_item_field(Value{Value::Kind::other}, object ? Shape::object : Shape::array);
    } else if (depth_ == 4 && in_item_ && item_field_ == ItemField::headers) {
      items.back().headers.entry(Value{Value::Kind::other});
    }
    ++depth_;
    return true;
  }
  bool close() {
    if (--depth_ == 2) in_item_ = false;
    return true;
  }
  void set_field(Value v, Shape shape) {
    switch (field_) {
      case Field::urls:
        urls_is_array = shape == Shape::array;
        urls_value = std::move(v);
        urls.clear();
        items.clear();
        urls_bad.reset();
        break;
      case Field::headers: headers.set(std::move(v), shape == Shape::object); break;
      case Field::concurrency: concurrency = std::move(v); break;
      case Field::per_host_concurrency: per_host_concurrency = std::move(v); break;
      case Field::timeout_ms: timeout_ms = std::move(v); break;
      case Field::try_timeout_ms: try_timeout_ms = std::move(v); break;
      case Field::hedge_after_ms: hedge_after_ms = std::move(v); break;
      case Field::retries: retries = std::move(v); break;
      case Field::method: method = std::move(v); break;
      case Field::include_body: include_body = std::move(v); break;
      case Field::body: body = std::move(v); break;
      case Field::decode: decode = std::move(v); break;
      case Field::include_headers: include_headers = std::move(v); break;
      case Field::include_timings: include_timings = std::move(v); break;
      case Field::unknown: break;
    }
  }
  void set_item_field(Value v, Shape shape) {
    auto& item = items.back();
    switch (item_field_) {
      case ItemField::url: item.url = std::move(v); break;
      case ItemField::id: item.id = std::move(v); break;
      case ItemField::method: item.method = std::move(v); break;
      case ItemField::body: item.body = std::move(v); break;
      case ItemField::headers: item.headers.set(std::move(v), shape == Shape::object); break;
      case ItemField::unknown: break;
    }
  }
  // A scalar or array entry of `urls`, or a header's value.
  void element(Value v) {
    if (in_urls()) {
      if (!urls_bad) urls_bad = urls.size();
      urls.emplace_back();
    } else if (field_ == Field::headers) {
      headers.entry(std::move(v));
    }
  }

  int depth_ = 0;  // 1: inside the top-level object
  Field field_ = Field::unknown;
  bool in_item_ = false;  // inside an object entry of `urls`
  ItemField item_field_ = ItemField::unknown;
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

std::optional<ApiError> get_method(Value& v, std::string_view field, std::string& out) {
  static constexpr std::array<std::string_view, 7> methods = {"GET", "HEAD", "POST", "PUT",
                                                              "DELETE", "OPTIONS", "PATCH"};
  if (v.kind != Value::Kind::string || std::find(methods.begin(), methods.end(), v.s) == methods.end())
    return field_error(field, "must be one of GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH");
  out = std::move(v.s);
  return std::nullopt;
}

// `field` is "headers" or "urls[i].headers"; each header is named field.Name.
std::optional<ApiError> get_headers(RawHeaders& h, std::string_view field, Headers& out) {
  if (!h.is_object) return field_error(field, "must be an object of strings");
  if (h.entries.size() > 64) return field_error(field, "at most 64 headers");
  out.reserve(h.entries.size());
  for (auto& entry : h.entries) {
    // Not a structured binding: clang 14 cannot capture one in a lambda.
    const std::string& name = entry.first;
    Value& value = entry.second;
    auto named = [&] { return std::string(field) + "." + name; };
    if (!valid_token(name)) return field_error(named(), "is not a valid header name");
    if (reserved_header(name)) return field_error(named(), "is set by the service and cannot be overridden");
    if (value.kind != Value::Kind::string) return field_error(named(), "must be a string");
    if (!valid_header_value(value.s)) return field_error(named(), "must not contain control characters (max 8 KiB)");
    out.emplace_back(name, std::move(value.s));
  }
  return std::nullopt;
}

std::string no_body_with(std::string_view method) {
  std::string what(method);
  return what.append(" sends no body (a body goes with POST, PUT, PATCH or DELETE)");
}

constexpr std::size_t max_id_bytes = 1024;

// An object entry of `urls`, over the request's fields in `job` (already
// checked); errors name `urls[i].field`.
std::optional<ApiError> take_item(RawItem& raw, FetchJob& job) {
  const std::string at = "urls[" + std::to_string(raw.index) + "]";
  auto named = [&](std::string_view field) { return at + "." + std::string(field); };
  if (raw.first_unknown) return field_error(named(*raw.first_unknown), "unknown field");

  if (raw.url.kind == Value::Kind::absent) return field_error(named("url"), "is required");
  if (raw.url.kind != Value::Kind::string) return field_error(named("url"), "must be a string");
  FetchItem& item = job.items[raw.index];
  if (raw.id.kind != Value::Kind::absent) {
    if (raw.id.kind != Value::Kind::string || raw.id.s.size() > max_id_bytes)
      return field_error(named("id"), "must be a string of at most " + std::to_string(max_id_bytes) + " bytes");
    item.id = std::move(raw.id.s);
  }
  if (raw.method.kind != Value::Kind::absent) {
    if (auto e = get_method(raw.method, named("method"), item.method.emplace())) return e;
  }
  if (raw.headers.value.kind != Value::Kind::absent) {
    Headers own;
    if (auto e = get_headers(raw.headers, named("headers"), own)) return e;
    item.headers = merge_headers(job.headers, own);
  }
  if (raw.body.kind != Value::Kind::absent) {
    if (raw.body.kind != Value::Kind::string) return field_error(named("body"), "must be a string");
    item.body = std::move(raw.body.s);
  }
  // A body, the item's own or the request's, needs a method that sends one.
  const std::string& method = item.method ? *item.method : job.method;
  if (!method_sends_body(method)) {
    if (item.body) return field_error(named("body"), no_body_with(method));
    if (job.body)
      return field_error(named("method"), method + " cannot send the request's \"body\" (a body goes with POST, PUT, "
                                                   "PATCH or DELETE)");
  }
  if (job.hedge_after && !method_may_be_hedged(method))
    return field_error(named("method"), method + " cannot be hedged (hedge_after_ms is for GET, HEAD and OPTIONS)");
  job.urls[raw.index] = std::move(raw.url.s);
  return std::nullopt;
}

// A boolean field into `out` when given, or an error naming it.
std::optional<ApiError> get_bool(const Value& v, std::string_view field, bool& out) {
  if (v.kind == Value::Kind::absent) return std::nullopt;
  if (v.kind != Value::Kind::boolean) return field_error(field, "must be true or false");
  out = v.b;
  return std::nullopt;
}

}  // namespace

bool method_may_be_hedged(std::string_view method) noexcept {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

bool method_sends_body(std::string_view method) noexcept {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

Headers merge_headers(const Headers& base, const Headers& over) {
  Headers out;
  out.reserve(base.size() + over.size());
  for (const auto& field : base) {
    const bool replaced = std::any_of(over.begin(), over.end(), [&](const auto& o) {
      return boost::beast::iequals(o.first, field.first);
    });
    if (!replaced) out.push_back(field);
  }
  out.insert(out.end(), over.begin(), over.end());
  return out;
}

// Read with nlohmann's SAX parser into the few fields there are, instead of a
// JSON tree (a map node, a value and strings per field) that is then searched.
std::variant<FetchJob, ApiError> parse_fetch_request(std::string_view body, const FetchRequestRules& rules) {
  Collector c;
  if (!json::sax_parse(body, &c)) return ApiError{400, "invalid_json", "request body is not valid JSON"};
  if (!c.top_is_object) return ApiError{400, "invalid_json", "request body must be a JSON object"};
  if (c.first_unknown) return field_error(*c.first_unknown, "unknown field");

  FetchJob job;
  if (c.urls_value.kind == Value::Kind::absent) return field_error("urls", "is required");
  if (!c.urls_is_array) return field_error("urls", "must be an array of URLs (strings or objects)");
  if (c.urls.empty() || c.urls.size() > rules.max_urls)
    return field_error("urls", "must hold 1.." + std::to_string(rules.max_urls) + " URLs, got " +
                                   std::to_string(c.urls.size()));
  if (c.urls_bad)
    return field_error("urls[" + std::to_string(*c.urls_bad) + "]", "must be a URL string or an object with \"url\"");
  job.urls = std::move(c.urls);

  job.concurrency = std::min(rules.default_concurrency, rules.max_concurrency);
  if (c.concurrency.kind != Value::Kind::absent) {
    auto v = get_uint(c.concurrency, "concurrency", 1, rules.max_concurrency);
    if (auto* e = std::get_if<ApiError>(&v)) return *e;
    job.concurrency = std::get<unsigned>(v);
  }
  job.per_host_concurrency = std::min(rules.default_per_host_concurrency, rules.max_concurrency);
  if (c.per_host_concurrency.kind != Value::Kind::absent) {
    auto v = get_uint(c.per_host_concurrency, "per_host_concurrency", 1, rules.max_concurrency);
    if (auto* e = std::get_if<ApiError>(&v)) return *e;
    job.per_host_concurrency = std::get<unsigned>(v);
  }
  job.timeout = rules.default_timeout;
  if (c.timeout_ms.kind != Value::Kind::absent) {
    auto v = get_uint(c.timeout_ms, "timeout_ms", 1, 600000);
    if (auto* e = std::get_if<ApiError>(&v)) return *e;
    job.timeout = std::chrono::milliseconds(std::get<unsigned>(v));
  }
  if (c.try_timeout_ms.kind != Value::Kind::absent) {
    auto v = get_uint(c.try_timeout_ms, "try_timeout_ms", 1, 600000);
    if (auto* e = std::get_if<ApiError>(&v)) return *e;
    job.try_timeout = std::chrono::milliseconds(std::get<unsigned>(v));
  }
  if (c.hedge_after_ms.kind != Value::Kind::absent) {
    auto v = get_uint(c.hedge_after_ms, "hedge_after_ms", 1, 600000);
    if (auto* e = std::get_if<ApiError>(&v)) return *e;
    job.hedge_after = std::chrono::milliseconds(std::get<unsigned>(v));
  }
  if (c.retries.kind != Value::Kind::absent) {
    auto v = get_uint(c.retries, "retries", 0, 5);
    if (auto* e = std::get_if<ApiError>(&v)) return *e;
    job.retries = std::get<unsigned>(v);
  }
  if (c.method.kind != Value::Kind::absent) {
    if (auto e = get_method(c.method, "method", job.method)) return *e;
  }
  if (job.hedge_after && !method_may_be_hedged(job.method))
    return field_error("hedge_after_ms", "hedges GET, HEAD and OPTIONS only, not " + job.method);
  if (auto e = get_bool(c.include_body, "include_body", job.include_body)) return *e;
  if (auto e = get_bool(c.decode, "decode", job.decode)) return *e;
  if (auto e = get_bool(c.include_headers, "include_headers", job.include_headers)) return *e;
  if (auto e = get_bool(c.include_timings, "include_timings", job.include_timings)) return *e;
  if (c.headers.value.kind != Value::Kind::absent) {
    if (auto e = get_headers(c.headers, "headers", job.headers)) return *e;
  }
  if (c.body.kind != Value::Kind::absent) {
    if (c.body.kind != Value::Kind::string) return field_error("body", "must be a string");
    if (!method_sends_body(job.method)) return field_error("body", no_body_with(job.method));
    job.body = std::move(c.body.s);
  }
  if (!c.items.empty()) {
    job.items.resize(job.urls.size());
    for (auto& raw : c.items)
      if (auto e = take_item(raw, job)) return *e;
  }
  return job;
}

std::string error_body(const ApiError& e) {
  return json{{"error", {{"code", e.code}, {"message", e.message}}}}.dump() + "\n";
}

}  // namespace asyncfetch
