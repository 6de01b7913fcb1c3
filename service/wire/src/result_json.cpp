#include "asyncfetch/wire/result_json.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "asyncfetch/wire/credentials.hpp"

namespace asyncfetch {

namespace {

// A JSON string literal; invalid UTF-8 (upstream bodies) becomes U+FFFD.
// URLs are nearly always printable ASCII with nothing to escape: those are
// copied as they are; only the others go through nlohmann's serializer (which
// builds a json value, a copy, per string).
void append_string(std::string& out, const std::string& s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (!plain) {
    out += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

// The string, or null when there is none.
void append_string_or_null(std::string& out, const std::optional<std::string>& s) {
  if (s) {
    append_string(out, *s);
  } else {
    out += "null";
  }
}

// A millisecond count with 3 decimals, exactly as printf's "%.3f" writes it
// (std::to_chars with a precision is specified so), without printf's cost.
// The buffer holds any finite double (up to 309 integer digits); NaN and
// infinities, which JSON cannot spell, are written as null.
void append_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 3);
  if (ec != std::errc{}) {
    out += "null";
    return;
  }
  out.append(buf, end);
}

template <class N>
void append_int(std::string& out, N n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// `append(out, *v)`, or null when there is no value.
template <class T, class Append>
void append_or_null(std::string& out, const std::optional<T>& v, Append append) {
  if (v) {
    append(out, *v);
  } else {
    out += "null";
  }
}

void append_number_or_null(std::string& out, const std::optional<double>& v) { append_or_null(out, v, append_number); }

// {"name":"value",...}: the names are header tokens, the values any bytes.
void append_headers(std::string& out, const ResponseHeaders& headers) {
  out += '{';
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (i) out += ',';
    append_string(out, headers[i].first);
    out += ':';
    append_string(out, headers[i].second);
  }
  out += '}';
}

void append_timings(std::string& out, const FetchTimings& t) {
  out += "{\"dns_ms\":";
  append_number_or_null(out, t.dns_ms);
  out += ",\"connect_ms\":";
  append_number_or_null(out, t.connect_ms);
  out += ",\"tls_ms\":";
  append_number_or_null(out, t.tls_ms);
  out += ",\"ttfb_ms\":";
  append_number_or_null(out, t.ttfb_ms);
  out += ",\"total_ms\":";
  append_number(out, t.total_ms);
  out += '}';
}

}  // namespace

void append_result(std::string& out, const FetchResult& r, const ResultFields& fields) {
  out += "{\"url\":";
  append_string(out, r.url);
  if (r.id) {
    out += ",\"id\":";
    append_string(out, *r.id);
  }
  out += r.ok ? ",\"ok\":true,\"status\":" : ",\"ok\":false,\"status\":";
  if (r.status) {
    append_int(out, *r.status);
  } else {
    out += "null";
  }
  out += ",\"bytes\":";
  append_int(out, r.bytes);
  out += ",\"wire_bytes\":";
  append_int(out, r.wire_bytes);
  out += ",\"content_encoding\":";
  if (r.content_encoding.empty()) {
    out += "null";
  } else {
    append_string(out, r.content_encoding);
  }
  out += ",\"http_version\":";
  if (r.http_version) {
    out += '"';
    out += to_string(*r.http_version);  // "1.1", "2": nothing to escape
    out += '"';
  } else {
    out += "null";
  }
  out += ",\"elapsed_ms\":";
  append_number(out, r.elapsed_ms);
  out += ",\"attempts\":";
  append_int(out, r.attempts);
  if (r.hedged) out += ",\"hedged\":true";
  out += ",\"error\":";
  if (r.error) {
    out += '"';
    out += to_string(*r.error);  // an identifier: nothing to escape
    out += '"';
  } else {
    out += "null";
  }
  if (fields.body) {
    out += ",\"body\":";
    append_string_or_null(out, r.body);
    out += r.truncated ? ",\"truncated\":true" : ",\"truncated\":false";
  }
  if (fields.headers) {
    out += ",\"headers\":";
    append_or_null(out, r.headers, append_headers);
  }
  if (fields.timings) {
    out += ",\"timings\":";
    append_or_null(out, r.timings, append_timings);
  }
  out += '}';
}

void append_summary(std::string& out, const FanOutSummary& s) {
  out += "{\"total\":";
  append_int(out, s.total);
  out += ",\"succeeded\":";
  append_int(out, s.succeeded);
  out += ",\"failed\":";
  append_int(out, s.failed);
  out += ",\"elapsed_ms\":";
  append_number(out, s.elapsed_ms);
  out += ",\"concurrency\":";
  append_int(out, s.concurrency);
  out += ",\"max_in_flight\":";
  append_int(out, s.max_in_flight);
  out += '}';
}

std::string fetch_response(const FetchJob& job, std::vector<std::optional<FetchResult>>& results,
                           const FanOutSummary& s, const ResultFields& fields) {
  std::string out;
  out.reserve(64 + job.urls.size() * 128);
  out += "{\"results\":[";
  for (std::size_t i = 0; i < job.urls.size(); ++i) {
    if (i) out += ',';
    if (!results[i]) {
      FetchResult r;
      r.url = job.urls[i];
      mask_credentials(r.url);
      if (const FetchItem* item = job.item(i)) r.id = item->id;
      r.error = FetchError::cancelled;
      results[i] = std::move(r);
    }
    append_result(out, *results[i], fields);
  }
  out += "],\"summary\":";
  append_summary(out, s);
  out += "}\n";
  return out;
}

}  // namespace asyncfetch
