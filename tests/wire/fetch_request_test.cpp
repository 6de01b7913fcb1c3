// POST /fetch body validation: every field, its type and range, and that each
// error message names the field it is about.
#include "asyncfetch/wire/fetch_request.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <variant>

using asyncfetch::ApiError;
using asyncfetch::FetchRequestRules;
using asyncfetch::error_body;
using asyncfetch::FetchJob;
using asyncfetch::parse_fetch_request;
using nlohmann::json;

namespace {

// The rules the built-in configuration gives.
const FetchRequestRules& defaults() {
  static const FetchRequestRules r{1000, 256, 8, std::chrono::milliseconds(10000)};
  return r;
}

FetchJob must_accept(const std::string& body, const FetchRequestRules& c = defaults()) {
  auto r = parse_fetch_request(body, c);
  std::string why;
  if (auto* e = std::get_if<ApiError>(&r)) why = e->code + ": " + e->message;
  INFO("body: " << body << "\nerror: " << why);
  REQUIRE(std::holds_alternative<FetchJob>(r));
  return std::get<FetchJob>(std::move(r));
}

ApiError must_reject(const std::string& body, const FetchRequestRules& c = defaults()) {
  auto r = parse_fetch_request(body, c);
  INFO("body: " << body);
  REQUIRE(std::holds_alternative<ApiError>(r));
  auto e = std::get<ApiError>(std::move(r));
  CHECK(e.status == 400);
  CHECK_FALSE(e.message.empty());
  return e;
}

// An invalid_field error whose message starts with the quoted field name.
void must_reject_field(const std::string& body, const std::string& field, const FetchRequestRules& c = defaults()) {
  auto e = must_reject(body, c);
  INFO("body: " << body << "\nmessage: " << e.message);
  CHECK(e.code == "invalid_field");
  CHECK(e.message.rfind("\"" + field + "\"", 0) == 0);
}

// `{"urls":["http://example.com/"], <extra>}`
std::string with(const std::string& extra) { return R"({"urls":["http://example.com/"],)" + extra + "}"; }

}  // namespace

TEST_CASE("fetch request: the minimal body gets every default", "[fetch_request]") {
  auto job = must_accept(R"({"urls":["http://example.com/"]})");
  CHECK(job.urls == std::vector<std::string>{"http://example.com/"});
  CHECK(job.concurrency == defaults().default_concurrency);
  CHECK(job.timeout == defaults().default_timeout);
  CHECK(job.method == "GET");
  CHECK(job.headers.empty());
  CHECK_FALSE(job.include_body);
  CHECK(job.retries == 0);
  CHECK(job.decode);
  CHECK_FALSE(job.include_headers);
  CHECK_FALSE(job.include_timings);
  CHECK_FALSE(job.trace);  // the API server's to set, from the request's head
  CHECK(job.request_id.empty());
}

TEST_CASE("fetch request: every field set", "[fetch_request]") {
  auto job = must_accept(R"({"urls":["http://a.example/","https://b.example/x"],"concurrency":3,"timeout_ms":2500,
      "method":"POST","headers":{"User-Agent":"t/1","X-Trace":"a b\tc"},"include_body":true,"retries":5,
      "decode":false,"include_headers":true,"include_timings":true})");
  CHECK(job.urls.size() == 2);
  CHECK(job.urls[1] == "https://b.example/x");
  CHECK(job.concurrency == 3);
  CHECK(job.timeout == std::chrono::milliseconds(2500));
  CHECK(job.method == "POST");
  REQUIRE(job.headers.size() == 2);
  CHECK(job.headers[0] == std::pair<std::string, std::string>{"User-Agent", "t/1"});
  CHECK(job.headers[1] == std::pair<std::string, std::string>{"X-Trace", "a b\tc"});
  CHECK(job.include_body);
  CHECK(job.retries == 5);
  CHECK_FALSE(job.decode);
  CHECK(job.include_headers);
  CHECK(job.include_timings);
}

TEST_CASE("fetch request: malformed JSON or a non-object is invalid_json", "[fetch_request]") {
  const char* bodies[] = {"", " ", "{", "{\"urls\":", "{\"urls\":[\"http://a/\"]", "nope", "{'urls':[]}",
                          "[]", "[{\"urls\":[\"http://a/\"]}]", "null", "42", "\"urls\"", "true",
                          "{\"urls\":[\"http://a/\"]} trailing", "{\"urls\":[\"\xff\"]}"};
  for (const char* b : bodies) {
    auto e = must_reject(b);
    INFO("body: " << b);
    CHECK(e.code == "invalid_json");
  }
}

TEST_CASE("fetch request: urls is required, an array of 1..max strings", "[fetch_request]") {
  must_reject_field("{}", "urls");
  must_reject_field(R"({"concurrency":2})", "urls");
  must_reject_field(R"({"urls":null})", "urls");
  must_reject_field(R"({"urls":"http://a/"})", "urls");
  must_reject_field(R"({"urls":{"0":"http://a/"}})", "urls");
  must_reject_field(R"({"urls":[]})", "urls");
  must_reject_field(R"({"urls":["http://a/",1]})", "urls[1]");
  must_reject_field(R"({"urls":[null]})", "urls[0]");
  must_reject_field(R"({"urls":[["http://a/"]]})", "urls[0]");

  auto c = defaults();
  c.max_urls = 3;
  must_accept(R"({"urls":["a","b","c"]})", c);  // URLs are checked one by one later, not here
  auto e = must_reject(R"({"urls":["a","b","c","d"]})", c);
  CHECK(e.code == "invalid_field");
  CHECK(e.message.rfind("\"urls\"", 0) == 0);
  CHECK(e.message.find("1..3") != std::string::npos);
  CHECK(e.message.find("got 4") != std::string::npos);
}

TEST_CASE("fetch request: urls are kept as given, in order, duplicates included", "[fetch_request]") {
  auto job = must_accept(R"({"urls":["http://b/","not a url","http://b/",""]})");
  CHECK(job.urls == std::vector<std::string>{"http://b/", "not a url", "http://b/", ""});
}

TEST_CASE("fetch request: unknown fields are refused by name", "[fetch_request]") {
  must_reject_field(with(R"("foo":1)"), "foo");
  must_reject_field(with(R"("Concurrency":1)"), "Concurrency");
  must_reject_field(with(R"("url":"http://a/")"), "url");
  must_reject_field(R"({"timeout":5,"urls":["http://a/"]})", "timeout");
}

TEST_CASE("fetch request: concurrency defaults to default_concurrency, capped by the maximum", "[fetch_request]") {
  auto c = defaults();
  c.default_concurrency = 16;
  c.max_concurrency = 32;
  CHECK(must_accept(with(R"("retries":0)"), c).concurrency == 16);
  CHECK(must_accept(with(R"("concurrency":1)"), c).concurrency == 1);
  CHECK(must_accept(with(R"("concurrency":32)"), c).concurrency == 32);
  must_reject_field(with(R"("concurrency":33)"), "concurrency", c);
  must_reject_field(with(R"("concurrency":0)"), "concurrency", c);

  // A default above the cap (the configuration's validate() forbids it, but
  // rules made in code may hold it) is cut to the cap.
  c.default_concurrency = 64;
  CHECK(must_accept(R"({"urls":["http://a/"]})", c).concurrency == 32);

  auto e = must_reject(with(R"("concurrency":33)"), [] {
    auto x = defaults();
    x.max_concurrency = 32;
    return x;
  }());
  CHECK(e.message.find("1..32") != std::string::npos);
  CHECK(e.message.find("got 33") != std::string::npos);
}

TEST_CASE("fetch request: integer fields refuse other types and out-of-range values", "[fetch_request]") {
  const char* bad_values[] = {"-1",   "1.5",     "2.0",    "1e3",  "\"8\"", "true", "null",
                              "[1]",  "{\"n\":1}", "18446744073709551615", "18446744073709551616",
                              "-9223372036854775808", "4294967297"};
  for (const char* field : {"concurrency", "timeout_ms", "retries"}) {
    for (const char* v : bad_values) must_reject_field(with("\"" + std::string(field) + "\":" + v), field);
  }
  must_reject_field(with(R"("concurrency":257)"), "concurrency");  // default max 256
  must_reject_field(with(R"("timeout_ms":0)"), "timeout_ms");
  must_reject_field(with(R"("timeout_ms":600001)"), "timeout_ms");
  must_reject_field(with(R"("retries":6)"), "retries");

  CHECK(must_accept(with(R"("concurrency":256)")).concurrency == 256);
  CHECK(must_accept(with(R"("timeout_ms":1)")).timeout == std::chrono::milliseconds(1));
  CHECK(must_accept(with(R"("timeout_ms":600000)")).timeout == std::chrono::milliseconds(600000));
  CHECK(must_accept(with(R"("retries":0)")).retries == 0);
  CHECK(must_accept(with(R"("retries":5)")).retries == 5);
}

TEST_CASE("fetch request: timeout_ms defaults to the configured timeout", "[fetch_request]") {
  auto c = defaults();
  c.default_timeout = std::chrono::milliseconds(1234);
  CHECK(must_accept(R"({"urls":["http://a/"]})", c).timeout == std::chrono::milliseconds(1234));
}

TEST_CASE("fetch request: method is one of the listed verbs, exact case", "[fetch_request]") {
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
    CHECK(must_accept(with("\"method\":\"" + std::string(m) + "\"")).method == m);
  for (const char* v : {"\"get\"", "\"CONNECT\"", "\"TRACE\"", "\"\"", "\"GET \"", "\"G\\u0000ET\"", "1", "null",
                        "[\"GET\"]", "true"})
    must_reject_field(with("\"method\":" + std::string(v)), "method");
}

TEST_CASE("fetch request: include_body is a boolean", "[fetch_request]") {
  CHECK(must_accept(with(R"("include_body":true)")).include_body);
  CHECK_FALSE(must_accept(with(R"("include_body":false)")).include_body);
  for (const char* v : {"1", "0", "\"true\"", "null", "[]"})
    must_reject_field(with("\"include_body\":" + std::string(v)), "include_body");
}

TEST_CASE("fetch request: decode, include_headers and include_timings are booleans", "[fetch_request]") {
  CHECK_FALSE(must_accept(with(R"("decode":false)")).decode);
  CHECK(must_accept(with(R"("decode":true)")).decode);
  CHECK(must_accept(with(R"("include_headers":true)")).include_headers);
  CHECK_FALSE(must_accept(with(R"("include_headers":false)")).include_headers);
  CHECK(must_accept(with(R"("include_timings":true)")).include_timings);
  CHECK_FALSE(must_accept(with(R"("include_timings":false)")).include_timings);
  for (const char* f : {"decode", "include_headers", "include_timings"}) {
    for (const char* v : {"1", "0", "\"true\"", "null", "[]", "{}"}) {
      auto e = must_reject(with("\"" + std::string(f) + "\":" + v));
      INFO(f << ": " << v);
      CHECK(e.code == "invalid_field");
      CHECK(e.message == "\"" + std::string(f) + "\": must be true or false");
    }
  }
}

TEST_CASE("fetch request: headers is an object of valid names and string values", "[fetch_request]") {
  auto job = must_accept(with(R"("headers":{})"));
  CHECK(job.headers.empty());
  job = must_accept(with(R"("headers":{"Authorization":"Bearer x","Accept":"*/*","X-!#$%&'*+-.^_`|~":"v","Empty":""})"));
  CHECK(job.headers.size() == 4);
  job = must_accept(with(R"("headers":{"X-Utf8":"caf\u00e9"})"));
  REQUIRE(job.headers.size() == 1);
  CHECK(job.headers[0].second == "caf\xc3\xa9");

  for (const char* v : {"null", "[]", "[[\"a\",\"b\"]]", "\"User-Agent: x\"", "1"})
    must_reject_field(with("\"headers\":" + std::string(v)), "headers");

  // Values must be strings.
  must_reject_field(with(R"("headers":{"X-N":1})"), "headers.X-N");
  must_reject_field(with(R"("headers":{"X-N":null})"), "headers.X-N");
  must_reject_field(with(R"("headers":{"X-N":["a"]})"), "headers.X-N");
}

TEST_CASE("fetch request: headers the service owns are refused, any case", "[fetch_request]") {
  for (const char* name : {"Host", "host", "HOST", "Content-Length", "Transfer-Encoding", "Connection",
                           "Keep-Alive", "Upgrade", "TE", "Trailer", "Proxy-Connection"}) {
    std::string body = with("\"headers\":{\"" + std::string(name) + "\":\"x\"}");
    must_reject_field(body, "headers." + std::string(name));
    auto e = must_reject(body);
    CHECK(e.message.find("set by the service") != std::string::npos);
  }
}

TEST_CASE("fetch request: invalid header names are refused", "[fetch_request]") {
  for (const char* name : {"", "X Y", "X:Y", "X\\tY", "X\\r\\nY", "(x)", "a/b", "x@y", "\\u00e9", "a=b", "[x]",
                           "\\u0000"}) {
    std::string body = with("\"headers\":{\"" + std::string(name) + "\":\"x\"}");
    auto e = must_reject(body);
    INFO("body: " << body << "\nmessage: " << e.message);
    CHECK(e.code == "invalid_field");
    CHECK(e.message.rfind("\"headers.", 0) == 0);
    CHECK(e.message.find("not a valid header name") != std::string::npos);
  }
  must_reject_field(with("\"headers\":{\"" + std::string(257, 'a') + "\":\"x\"}"), "headers." + std::string(257, 'a'));
  must_accept(with("\"headers\":{\"" + std::string(256, 'a') + "\":\"x\"}"));
}

TEST_CASE("fetch request: control characters in header values are refused", "[fetch_request]") {
  for (const char* v : {"a\\r\\nX-Injected: 1", "a\\nb", "a\\rb", "\\u0000", "a\\u0001", "\\u007f", "\\u001b[31m"}) {
    must_reject_field(with("\"headers\":{\"X-V\":\"" + std::string(v) + "\"}"), "headers.X-V");
  }
  must_accept(with("\"headers\":{\"X-V\":\"" + std::string(8192, 'v') + "\"}"));
  must_reject_field(with("\"headers\":{\"X-V\":\"" + std::string(8193, 'v') + "\"}"), "headers.X-V");
}

TEST_CASE("fetch request: at most 64 headers", "[fetch_request]") {
  auto body = [](int n) {
    json h = json::object();
    for (int i = 0; i < n; ++i) h["X-H" + std::to_string(i)] = "v";
    return json{{"urls", {"http://a/"}}, {"headers", h}}.dump();
  };
  CHECK(must_accept(body(64)).headers.size() == 64);
  must_reject_field(body(65), "headers");
}

TEST_CASE("fetch request: error_body is the API's error object", "[fetch_request]") {
  auto e = must_reject(with(R"("retries":9)"));
  auto j = json::parse(error_body(e));
  CHECK(j == json{{"error", {{"code", "invalid_field"}, {"message", e.message}}}});
  CHECK(error_body(e).back() == '\n');

  // A message carrying a field name from the client round-trips as JSON.
  auto u = must_reject(with(R"("caf\u00e9\"\\":1)"));
  auto k = json::parse(error_body(u));
  CHECK(k["error"]["message"].get<std::string>().rfind("\"caf\xc3\xa9\"\\\"", 0) == 0);

  auto bad = must_reject("{");
  CHECK(json::parse(error_body(bad))["error"]["code"] == "invalid_json");
}

// The body is read with a SAX parser, not into a JSON tree: what a tree gave
// for free must still hold.
TEST_CASE("fetch request: read as a JSON object would be", "[fetch_request]") {
  // A syntax error anywhere wins over a field error before it.
  CHECK(must_reject(R"({"bogus":1,"urls":[1],"concurrency":0,)").code == "invalid_json");
  // Of several unknown fields, the first in key order is named.
  must_reject_field(R"({"zeta":1,"urls":["http://a/"],"alpha":2})", "alpha");
  // A repeated key: the last one counts.
  CHECK(must_accept(R"({"urls":"x","urls":["http://a/"]})").urls == std::vector<std::string>{"http://a/"});
  must_reject_field(R"({"urls":["http://a/"],"urls":5})", "urls");
  CHECK(must_accept(with(R"("retries":9,"retries":2)")).retries == 2);
  must_reject_field(with(R"("retries":2,"retries":9)"), "retries");
  auto job = must_accept(with(R"("headers":{"X-A":"1","X-A":"2"})"));
  REQUIRE(job.headers.size() == 1);
  CHECK(job.headers[0].second == "2");
  must_reject_field(with(R"("headers":{"X-A":"1"},"headers":[])"), "headers");
  // null is a value of the wrong type, not an absent field.
  for (const char* f : {"concurrency", "timeout_ms", "retries", "method", "include_body", "headers", "decode",
                        "include_headers", "include_timings"})
    must_reject_field(with("\"" + std::string(f) + "\":null"), f);
  // Headers come sorted by name (as a JSON object iterates), each checked in that order.
  job = must_accept(with(R"("headers":{"b":"2","A":"1","a":"3"})"));
  REQUIRE(job.headers.size() == 3);
  CHECK(job.headers[0].first == "A");
  CHECK(job.headers[1].first == "a");
  CHECK(job.headers[2].first == "b");
  must_reject_field(with(R"("headers":{"z":{"x":"y"},"b y":"1"})"), "headers.b y");
  // Values nested in unknown or wrong-typed fields do not leak into known ones.
  must_reject_field(R"({"x":{"urls":["http://a/"]}})", "x");
  must_reject_field(with(R"("concurrency":{"urls":1,"concurrency":2})"), "concurrency");
  must_reject_field(R"({"urls":[{"urls":["http://a/"]},"http://b/"]})", "urls[0]");
  // Escapes are decoded, non-ASCII kept as UTF-8.
  CHECK(must_accept(R"({"urls":["http://a/\u00e9\"x"]})").urls[0] == "http://a/\xc3\xa9\"x");
}
