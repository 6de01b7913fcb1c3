// The result/summary JSON writer: every output parses back as JSON with the
// API's field names and values, whatever bytes an upstream sent.
#include "asyncfetch/wire/result_json.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using asyncfetch::append_result;
using asyncfetch::append_summary;
using asyncfetch::fetch_response;
using asyncfetch::FanOutSummary;
using asyncfetch::FetchError;
using asyncfetch::FetchResult;
using asyncfetch::FetchTimings;
using asyncfetch::HttpVersion;
using asyncfetch::ResultFields;
using nlohmann::json;

namespace {

const ResultFields with_body{.body = true};

json result_json(const FetchResult& r, const ResultFields& fields) {
  std::string out;
  append_result(out, r, fields);
  INFO("json: " << out);
  json j;
  REQUIRE_NOTHROW(j = json::parse(out));
  return j;
}

json summary_json(const FanOutSummary& s) {
  std::string out;
  append_summary(out, s);
  INFO("json: " << out);
  json j;
  REQUIRE_NOTHROW(j = json::parse(out));
  return j;
}

FetchResult ok_result() {
  FetchResult r;
  r.url = "http://example.com/a?b=c";
  r.ok = true;
  r.status = 200;
  r.bytes = 1024;
  r.wire_bytes = 1024;
  r.http_version = HttpVersion::http_1_1;
  r.elapsed_ms = 3.14159;
  r.attempts = 1;
  return r;
}

}  // namespace

TEST_CASE("result JSON: a success", "[result_json]") {
  auto j = result_json(ok_result(), {});
  CHECK(j["url"] == "http://example.com/a?b=c");
  CHECK(j["ok"] == true);
  CHECK(j["status"] == 200);
  CHECK(j["bytes"] == 1024);
  CHECK(j["wire_bytes"] == 1024);
  CHECK(j["content_encoding"].is_null());
  CHECK(j["http_version"] == "1.1");
  CHECK(j["elapsed_ms"].get<double>() == Approx(3.142).margin(0.0005));
  CHECK(j["attempts"] == 1);
  CHECK(j["error"].is_null());
  CHECK_FALSE(j.contains("body"));
  CHECK_FALSE(j.contains("truncated"));
  CHECK_FALSE(j.contains("headers"));
  CHECK_FALSE(j.contains("timings"));
  // Exactly the documented keys, in the documented order.
  std::vector<std::string> keys;
  std::string out;
  append_result(out, ok_result(), {});
  CHECK(out.rfind("{\"url\":", 0) == 0);
  std::size_t at = 0;
  for (const char* k : {"\"ok\":", "\"status\":", "\"bytes\":", "\"wire_bytes\":", "\"content_encoding\":",
                        "\"http_version\":", "\"elapsed_ms\":", "\"attempts\":", "\"error\":"}) {
    INFO(k);
    const std::size_t found = out.find(k);
    CHECK(found != std::string::npos);
    CHECK(found > at);
    at = found;
  }
  CHECK(j.size() == 10);
  CHECK(out.find('\n') == std::string::npos);  // NDJSON: a result is one line
}

TEST_CASE("result JSON: no response means status null", "[result_json]") {
  const std::pair<FetchError, const char*> codes[] = {
      {FetchError::invalid_url, "invalid_url"},       {FetchError::blocked, "blocked"},
      {FetchError::dns_failed, "dns_failed"},         {FetchError::connect_failed, "connect_failed"},
      {FetchError::tls_failed, "tls_failed"},         {FetchError::timeout, "timeout"},
      {FetchError::too_large, "too_large"},           {FetchError::protocol_error, "protocol_error"},
      {FetchError::cancelled, "cancelled"}};
  for (const auto& [error, code] : codes) {
    FetchResult r;
    r.url = "http://unreachable.example/";
    r.error = error;
    r.detail = "this is never sent";
    r.attempts = 3;
    r.elapsed_ms = 10;
    auto j = result_json(r, {});
    CHECK(j["ok"] == false);
    CHECK(j["status"].is_null());
    CHECK(j["error"] == code);
    CHECK(j["attempts"] == 3);
    CHECK(j["bytes"] == 0);
    CHECK(j["wire_bytes"] == 0);
    CHECK(j["http_version"].is_null());  // no response, no version
    CHECK(j["content_encoding"].is_null());
    CHECK_FALSE(j.contains("detail"));
  }
}

TEST_CASE("result JSON: an error status with a response", "[result_json]") {
  FetchResult r = ok_result();
  r.ok = false;
  r.status = 503;
  auto j = result_json(r, {});
  CHECK(j["ok"] == false);
  CHECK(j["status"] == 503);
  CHECK(j["error"].is_null());

  r.error = FetchError::too_large;  // a response arrived, then its body was too large
  j = result_json(r, {});
  CHECK(j["status"] == 503);
  CHECK(j["error"] == "too_large");
}

TEST_CASE("result JSON: include_body adds body and truncated", "[result_json]") {
  FetchResult r = ok_result();
  r.body = "hello \"world\"\n\t\\ \x01 </script>";
  auto j = result_json(r, with_body);
  CHECK(j["body"] == "hello \"world\"\n\t\\ \x01 </script>");
  CHECK(j["truncated"] == false);

  r.truncated = true;
  j = result_json(r, with_body);
  CHECK(j["truncated"] == true);

  r.body.reset();  // no response: nothing to show
  j = result_json(r, with_body);
  CHECK(j["body"].is_null());
  CHECK(j.contains("truncated"));

  r.body = "";
  CHECK(result_json(r, with_body)["body"] == "");

  r.body = "present but not asked for";
  j = result_json(r, {});
  CHECK_FALSE(j.contains("body"));
  CHECK_FALSE(j.contains("truncated"));
}

TEST_CASE("result JSON: a decoded body, its wire size and its coding", "[result_json]") {
  FetchResult r = ok_result();
  r.bytes = 5000;
  r.wire_bytes = 61;
  r.content_encoding = "gzip, br";
  auto j = result_json(r, {});
  CHECK(j["bytes"] == 5000);
  CHECK(j["wire_bytes"] == 61);
  CHECK(j["content_encoding"] == "gzip, br");

  r.http_version = HttpVersion::http_1_0;
  CHECK(result_json(r, {})["http_version"] == "1.0");
  r.http_version = HttpVersion::http_2;
  CHECK(result_json(r, {})["http_version"] == "2");

  r.content_encoding = "x-\"odd\"\xff";  // as an upstream sent it: escaped, never broken JSON
  CHECK(result_json(r, {})["content_encoding"] == "x-\"odd\"\xef\xbf\xbd");
}

TEST_CASE("result JSON: include_headers adds the response's fields as an object", "[result_json]") {
  FetchResult r = ok_result();
  r.headers = asyncfetch::ResponseHeaders{
      {"content-type", "text/plain"}, {"set-cookie", "a=1, b=2"}, {"x-odd", "quote \" back\\ \xff"}};
  std::string out;
  append_result(out, r, {.headers = true});
  auto j = json::parse(out);
  REQUIRE(j["headers"].is_object());
  CHECK(j["headers"].size() == 3);
  CHECK(j["headers"]["content-type"] == "text/plain");
  CHECK(j["headers"]["set-cookie"] == "a=1, b=2");
  CHECK(j["headers"]["x-odd"] == "quote \" back\\ \xef\xbf\xbd");
  // In the order the upstream sent them.
  CHECK(out.find("\"content-type\"") < out.find("\"set-cookie\""));
  CHECK(out.find("\"set-cookie\"") < out.find("\"x-odd\""));
  CHECK_FALSE(j.contains("body"));
  CHECK_FALSE(j.contains("timings"));

  r.headers = asyncfetch::ResponseHeaders{};
  CHECK(result_json(r, {.headers = true})["headers"] == json::object());
  r.headers.reset();  // no response came
  CHECK(result_json(r, {.headers = true})["headers"].is_null());
  r.headers = asyncfetch::ResponseHeaders{{"a", "b"}};
  CHECK_FALSE(result_json(r, {}).contains("headers"));  // not asked for: absent
}

TEST_CASE("result JSON: include_timings adds the phases, null where one did not happen", "[result_json]") {
  FetchResult r = ok_result();
  r.timings = FetchTimings{1.5, 0.25, 3.125, 8.5, 9.75};
  std::string out;
  append_result(out, r, {.timings = true});
  auto j = json::parse(out);
  REQUIRE(j["timings"].is_object());
  CHECK(j["timings"].size() == 5);
  CHECK(j["timings"]["dns_ms"] == 1.5);
  CHECK(j["timings"]["connect_ms"] == 0.25);
  CHECK(j["timings"]["tls_ms"] == 3.125);
  CHECK(j["timings"]["ttfb_ms"] == 8.5);
  CHECK(j["timings"]["total_ms"] == 9.75);
  CHECK_THAT(out, Catch::Contains("\"timings\":{\"dns_ms\":1.500,\"connect_ms\":0.250,\"tls_ms\":3.125,"
                                  "\"ttfb_ms\":8.500,\"total_ms\":9.750}"));

  // A reused connection: no DNS, connect or TLS; the response head still came.
  r.timings = FetchTimings{std::nullopt, std::nullopt, std::nullopt, 0.5, 0.75};
  j = result_json(r, {.timings = true});
  CHECK(j["timings"]["dns_ms"].is_null());
  CHECK(j["timings"]["connect_ms"].is_null());
  CHECK(j["timings"]["tls_ms"].is_null());
  CHECK(j["timings"]["ttfb_ms"] == 0.5);
  CHECK(j["timings"]["total_ms"] == 0.75);

  r.timings.reset();  // never tried (invalid_url)
  CHECK(result_json(r, {.timings = true})["timings"].is_null());

  // With every optional field asked for, they come in this order.
  r.timings = FetchTimings{};
  r.headers = asyncfetch::ResponseHeaders{};
  r.body = "b";
  out.clear();
  append_result(out, r, {.body = true, .headers = true, .timings = true});
  CHECK(out.find("\"error\":") < out.find("\"body\":"));
  CHECK(out.find("\"truncated\":") < out.find("\"headers\":"));
  CHECK(out.find("\"headers\":") < out.find("\"timings\":"));
  CHECK(json::parse(out).size() == 14);
}

TEST_CASE("result JSON: invalid UTF-8 in a body is replaced, not thrown", "[result_json]") {
  FetchResult r = ok_result();
  r.body = std::string("ok \xff\xfe then \xc3 cut \xe2\x82 and valid caf\xc3\xa9 \xf0\x9f\x98\x80", 40);
  json j;
  REQUIRE_NOTHROW(j = result_json(r, with_body));
  auto body = j["body"].get<std::string>();
  CHECK(body.find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD
  CHECK(body.find("caf\xc3\xa9") != std::string::npos);
  CHECK(body.find("\xf0\x9f\x98\x80") != std::string::npos);
  CHECK(body.rfind("ok ", 0) == 0);

  // A body cut in the middle of a multi-byte character (max_body_bytes).
  r.body = "abc\xe2\x82";
  CHECK(result_json(r, with_body)["body"] == "abc\xef\xbf\xbd");

  // Binary data with NULs.
  r.body = std::string("\x00\x01\x80\x00", 4);
  j = result_json(r, with_body);
  CHECK(j["body"].get<std::string>().substr(0, 2) == std::string("\x00\x01", 2));

  // The URL too (it is echoed as given).
  r.url = "http://a/\xff";
  CHECK_NOTHROW(result_json(r, {}));
}

TEST_CASE("result JSON: elapsed_ms is always a valid JSON number", "[result_json]") {
  FetchResult r = ok_result();
  for (double v : {0.0, 0.0004, 0.0006, 1e9, 1e20, 1e100, 1e308, std::numeric_limits<double>::max(), -1.0}) {
    r.elapsed_ms = v;
    std::string out;
    append_result(out, r, {});
    INFO("elapsed_ms: " << v << "\njson: " << out);
    json j;
    REQUIRE_NOTHROW(j = json::parse(out));
    REQUIRE(j["elapsed_ms"].is_number());
    CHECK(j["elapsed_ms"].get<double>() == Approx(v).margin(0.001));
  }
  for (double v : {std::nan(""), std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
    r.elapsed_ms = v;
    std::string out;
    append_result(out, r, {});
    INFO("json: " << out);
    json j;
    REQUIRE_NOTHROW(j = json::parse(out));
    CHECK(j["elapsed_ms"].is_null());  // JSON has no NaN or infinity
  }
}

TEST_CASE("result JSON: elapsed_ms is written exactly as printf's %.3f", "[result_json]") {
  // The writer formats numbers with std::to_chars: the text must not change.
  FetchResult r = ok_result();
  for (double v : {0.0, -0.0, 0.0625, 0.0005, 1.0005, 2.5, 3.14159, 12.3456, 99.9995, 123456.7895, 4503599627370495.5,
                   1e20, 1e300, std::numeric_limits<double>::max(), std::numeric_limits<double>::denorm_min(), -1.25}) {
    r.elapsed_ms = v;
    std::string out;
    append_result(out, r, {});
    char want[400];
    std::snprintf(want, sizeof want, "%.3f", v);
    INFO("elapsed_ms: " << v << "\njson: " << out);
    CHECK_THAT(out, Catch::Contains(std::string("\"elapsed_ms\":") + want + ","));
  }
}

TEST_CASE("summary JSON: every field", "[result_json]") {
  FanOutSummary s;
  s.total = 5;
  s.succeeded = 3;
  s.failed = 2;
  s.elapsed_ms = 12.3456;
  s.concurrency = 8;
  s.max_in_flight = 4;
  auto j = summary_json(s);
  CHECK(j["total"] == 5);
  CHECK(j["succeeded"] == 3);
  CHECK(j["failed"] == 2);
  CHECK(j["elapsed_ms"].get<double>() == Approx(12.346).margin(0.0005));
  CHECK(j["concurrency"] == 8);
  CHECK(j["max_in_flight"] == 4);
  CHECK(j.size() == 6);

  s.elapsed_ms = 1e300;
  CHECK(summary_json(s)["elapsed_ms"].is_number());
}

TEST_CASE("fetch_response: results in input order, missing ones cancelled", "[result_json]") {
  asyncfetch::FetchJob job;
  job.urls = {"http://a/", "http://b/", "http://c/"};
  job.include_body = true;
  std::vector<std::optional<FetchResult>> results(3);
  FetchResult a = ok_result();
  a.url = "http://a/";
  a.body = "A";
  results[0] = a;
  FetchResult c;
  c.url = "http://c/";
  c.error = FetchError::timeout;
  c.attempts = 2;
  results[2] = c;
  FanOutSummary s;
  s.total = 3;
  s.succeeded = 1;
  s.failed = 2;
  s.concurrency = 2;
  s.max_in_flight = 2;

  std::string out = fetch_response(job, results, s, with_body);
  CHECK(out.back() == '\n');
  json j;
  REQUIRE_NOTHROW(j = json::parse(out));
  REQUIRE(j["results"].size() == 3);
  CHECK(j["results"][0]["url"] == "http://a/");
  CHECK(j["results"][0]["ok"] == true);
  CHECK(j["results"][0]["body"] == "A");
  CHECK(j["results"][1]["url"] == "http://b/");
  CHECK(j["results"][1]["ok"] == false);
  CHECK(j["results"][1]["status"].is_null());
  CHECK(j["results"][1]["error"] == "cancelled");
  CHECK(j["results"][1]["attempts"] == 0);
  CHECK(j["results"][1]["body"].is_null());
  CHECK(j["results"][2]["error"] == "timeout");
  CHECK(j["results"][2]["attempts"] == 2);
  CHECK(j["summary"]["total"] == 3);
  CHECK(j["summary"]["max_in_flight"] == 2);
  CHECK(j.size() == 2);
}

TEST_CASE("fetch_response: many results stay one valid document", "[result_json]") {
  const std::size_t n = 2000;
  asyncfetch::FetchJob job;
  job.include_body = true;
  auto& urls = job.urls;
  std::vector<std::optional<FetchResult>> results(n);
  for (std::size_t i = 0; i < n; ++i) {
    urls.push_back("http://h" + std::to_string(i) + "/");
    if (i % 3) {
      FetchResult r = ok_result();
      r.url = urls.back();
      r.body = std::string(1, static_cast<char>(0x80 + i % 64));  // invalid UTF-8 on its own
      results[i] = r;
    }
  }
  FanOutSummary s;
  s.total = n;
  auto j = json::parse(fetch_response(job, results, s, with_body));
  REQUIRE(j["results"].size() == n);
  for (std::size_t i = 0; i < n; i += 97) CHECK(j["results"][i]["url"] == urls[i]);
  CHECK(j["results"][3]["error"] == "cancelled");
  CHECK(j["results"][4]["body"] == "\xef\xbf\xbd");
}

TEST_CASE("result JSON: id after url, only when the result has one", "[result_json]") {
  FetchResult r = ok_result();
  std::string out;
  append_result(out, r, {});
  CHECK(out.find("\"id\"") == std::string::npos);
  r.id = "item \"7\"\n";
  out.clear();
  append_result(out, r, {});
  CHECK(out.rfind("{\"url\":\"http://example.com/a?b=c\",\"id\":\"item \\\"7\\\"\\n\",\"ok\":true", 0) == 0);
  CHECK(json::parse(out)["id"] == "item \"7\"\n");
  r.id = "";
  CHECK(result_json(r, {})["id"] == "");
}

TEST_CASE("fetch_response: a missing result keeps its item's id, its URL masked", "[result_json]") {
  asyncfetch::FetchJob job;
  job.urls = {"http://u:secret@a/", "http://b/", "http://c/"};
  job.items.resize(3);
  job.items[0].id = "first";
  job.items[2].id = "third";
  std::vector<std::optional<FetchResult>> results(3);
  FetchResult c = ok_result();
  c.url = "http://c/";
  c.id = "third";
  results[2] = c;
  FanOutSummary s;
  s.total = 3;
  auto j = json::parse(fetch_response(job, results, s, {}));
  CHECK(j["results"][0]["url"] == "http://u:***@a/");
  CHECK(j["results"][0]["id"] == "first");
  CHECK(j["results"][0]["error"] == "cancelled");
  CHECK_FALSE(j["results"][1].contains("id"));
  CHECK(j["results"][2]["id"] == "third");
  CHECK_FALSE(j["results"][0].contains("body"));  // include_body off
}

TEST_CASE("result JSON: hedged after attempts, only when a hedge was started", "[result_json]") {
  FetchResult r = ok_result();
  r.attempts = 1;
  std::string out;
  append_result(out, r, {});
  CHECK(out.find("hedged") == std::string::npos);
  r.hedged = true;
  r.attempts = 2;
  out.clear();
  append_result(out, r, {});
  CHECK(out.find(",\"attempts\":2,\"hedged\":true,\"error\":") != std::string::npos);
  CHECK(json::parse(out)["hedged"] == true);
}
