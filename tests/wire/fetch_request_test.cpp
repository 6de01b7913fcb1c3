// POST /fetch body validation: every field, its type and range, and that each
// error message names the field it is about.
#include "asyncfetch/wire/fetch_request.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <variant>

using asyncfetch::ApiError;
using asyncfetch::FetchItem;
using asyncfetch::Headers;
using asyncfetch::merge_headers;
using asyncfetch::method_sends_body;
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
  CHECK(job.per_host_concurrency == 0);
  CHECK_FALSE(job.try_timeout.has_value());
  CHECK_FALSE(job.body.has_value());
  CHECK(job.items.empty());
  CHECK(job.item(0) == nullptr);
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
  CHECK(job.items.empty());  // plain strings carry nothing per URL
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
  for (const char* field :
       {"concurrency", "per_host_concurrency", "timeout_ms", "try_timeout_ms", "hedge_after_ms", "retries"}) {
    for (const char* v : bad_values) must_reject_field(with("\"" + std::string(field) + "\":" + v), field);
  }
  must_reject_field(with(R"("concurrency":257)"), "concurrency");  // default max 256
  must_reject_field(with(R"("timeout_ms":0)"), "timeout_ms");
  must_reject_field(with(R"("timeout_ms":600001)"), "timeout_ms");
  must_reject_field(with(R"("retries":6)"), "retries");
  must_reject_field(with(R"("per_host_concurrency":0)"), "per_host_concurrency");
  must_reject_field(with(R"("per_host_concurrency":257)"), "per_host_concurrency");
  must_reject_field(with(R"("try_timeout_ms":0)"), "try_timeout_ms");
  must_reject_field(with(R"("try_timeout_ms":600001)"), "try_timeout_ms");
  must_reject_field(with(R"("hedge_after_ms":0)"), "hedge_after_ms");
  must_reject_field(with(R"("hedge_after_ms":600001)"), "hedge_after_ms");

  CHECK(must_accept(with(R"("concurrency":256)")).concurrency == 256);
  CHECK(must_accept(with(R"("timeout_ms":1)")).timeout == std::chrono::milliseconds(1));
  CHECK(must_accept(with(R"("timeout_ms":600000)")).timeout == std::chrono::milliseconds(600000));
  CHECK(must_accept(with(R"("retries":0)")).retries == 0);
  CHECK(must_accept(with(R"("retries":5)")).retries == 5);
  CHECK(must_accept(with(R"("per_host_concurrency":1)")).per_host_concurrency == 1);
  CHECK(must_accept(with(R"("per_host_concurrency":256)")).per_host_concurrency == 256);
  CHECK(must_accept(with(R"("try_timeout_ms":1)")).try_timeout == std::chrono::milliseconds(1));
  CHECK(must_accept(with(R"("try_timeout_ms":600000)")).try_timeout == std::chrono::milliseconds(600000));
  CHECK(must_accept(with(R"("hedge_after_ms":1)")).hedge_after == std::chrono::milliseconds(1));
  CHECK(must_accept(with(R"("hedge_after_ms":600000)")).hedge_after == std::chrono::milliseconds(600000));
}

TEST_CASE("fetch request: hedge_after_ms goes with GET, HEAD and OPTIONS only, naming what set the method",
          "[fetch_request]") {
  CHECK_FALSE(must_accept(R"({"urls":["http://a/"]})").hedge_after.has_value());
  for (const char* m : {"GET", "HEAD", "OPTIONS"})
    CHECK(must_accept(with(R"("hedge_after_ms":50,"method":")" + std::string(m) + "\"")).hedge_after ==
          std::chrono::milliseconds(50));
  for (const char* m : {"POST", "PUT", "PATCH", "DELETE"})
    must_reject_field(with(R"("hedge_after_ms":50,"method":")" + std::string(m) + "\""), "hedge_after_ms");
  // An item's own method.
  must_reject_field(R"({"urls":["http://a/",{"url":"http://b/","method":"DELETE"}],"hedge_after_ms":50})",
                    "urls[1].method");
  const auto job = must_accept(R"({"urls":[{"url":"http://b/","method":"HEAD"}],"hedge_after_ms":50})");
  CHECK(job.hedge_after == std::chrono::milliseconds(50));
  // Without hedging, any method.
  must_accept(R"({"urls":[{"url":"http://b/","method":"DELETE"}]})");
  CHECK(asyncfetch::method_may_be_hedged("GET"));
  CHECK_FALSE(asyncfetch::method_may_be_hedged("get"));
  CHECK_FALSE(asyncfetch::method_may_be_hedged("POST"));
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
  for (const char* f : {"concurrency", "per_host_concurrency", "timeout_ms", "try_timeout_ms", "hedge_after_ms",
                        "retries", "method", "include_body", "headers", "body", "decode", "include_headers",
                        "include_timings"})
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
  must_reject_field(R"({"urls":[{"urls":["http://a/"]},"http://b/"]})", "urls[0].urls");
  must_reject_field(R"({"urls":[{"url":"http://a/","headers":{"X":{"urls":1}}}]})", "urls[0].headers.X");
  CHECK(must_accept(R"({"urls":[{"url":"http://a/","x":{"url":"http://b/"}}],"urls":["http://c/"]})").items.empty());
  // Escapes are decoded, non-ASCII kept as UTF-8.
  CHECK(must_accept(R"({"urls":["http://a/\u00e9\"x"]})").urls[0] == "http://a/\xc3\xa9\"x");
}

TEST_CASE("fetch request: per_host_concurrency defaults to default_per_host_concurrency, cut to the maximum",
          "[fetch_request]") {
  auto c = defaults();
  c.default_per_host_concurrency = 4;
  CHECK(must_accept(R"({"urls":["http://a/"]})", c).per_host_concurrency == 4);
  CHECK(must_accept(with(R"("per_host_concurrency":2)"), c).per_host_concurrency == 2);
  c.max_concurrency = 3;
  CHECK(must_accept(R"({"urls":["http://a/"]})", c).per_host_concurrency == 3);
  auto e = must_reject(with(R"("per_host_concurrency":4)"), c);
  CHECK(e.message.find("1..3") != std::string::npos);
  CHECK(e.message.find("got 4") != std::string::npos);
}

TEST_CASE("fetch request: a body goes with POST, PUT, PATCH and DELETE", "[fetch_request]") {
  for (const char* m : {"POST", "PUT", "PATCH", "DELETE"}) {
    INFO(m);
    CHECK(method_sends_body(m));
    auto job = must_accept(with("\"method\":\"" + std::string(m) + "\",\"body\":\"{\\\"a\\\":1}\""));
    REQUIRE(job.body.has_value());
    CHECK(*job.body == "{\"a\":1}");
  }
  CHECK(*must_accept(with(R"("method":"POST","body":"")")).body == "");
  CHECK(*must_accept(with(R"("method":"POST","body":"\u0000\u00ff")")).body == std::string("\0\xc3\xbf", 3));
  for (const char* m : {"GET", "HEAD", "OPTIONS"}) {
    INFO(m);
    CHECK_FALSE(method_sends_body(m));
    auto e = must_reject(with("\"method\":\"" + std::string(m) + "\",\"body\":\"x\""));
    CHECK(e.message == "\"body\": " + std::string(m) + " sends no body (a body goes with POST, PUT, PATCH or DELETE)");
  }
  must_reject_field(with(R"("body":"x")"), "body");  // the default method is GET
  for (const char* v : {"1", "true", "[]", "{}", "null"}) must_reject_field(with(R"("method":"POST","body":)" + std::string(v)), "body");
}

TEST_CASE("fetch request: merge_headers puts the item's over the request's, by name in any case", "[fetch_request]") {
  const Headers request = {{"Accept", "a/b"}, {"User-Agent", "r"}, {"X-Keep", "1"}};
  CHECK(merge_headers(request, {}) == request);
  CHECK(merge_headers({}, request) == request);
  CHECK(merge_headers(request, {{"user-agent", "i"}, {"X-New", "2"}}) ==
        Headers{{"Accept", "a/b"}, {"X-Keep", "1"}, {"user-agent", "i"}, {"X-New", "2"}});
  CHECK(merge_headers(request, {{"ACCEPT", ""}}) == Headers{{"User-Agent", "r"}, {"X-Keep", "1"}, {"ACCEPT", ""}});
  // Every request field of the name goes, however many.
  CHECK(merge_headers({{"X-A", "1"}, {"x-a", "2"}, {"B", "3"}}, {{"x-A", "9"}}) == Headers{{"B", "3"}, {"x-A", "9"}});
}

TEST_CASE("fetch request: an entry of urls may be an object, only url is required", "[fetch_request]") {
  auto job = must_accept(R"({"urls":["http://a/",{"url":"http://b/"},"http://c/"]})");
  CHECK(job.urls == std::vector<std::string>{"http://a/", "http://b/", "http://c/"});
  REQUIRE(job.items.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const FetchItem* item = job.item(i);
    REQUIRE(item != nullptr);
    CHECK_FALSE(item->id.has_value());
    CHECK_FALSE(item->method.has_value());
    CHECK_FALSE(item->headers.has_value());
    CHECK_FALSE(item->body.has_value());
  }
  // As for strings, the URL is checked when it is fetched, not here.
  CHECK(must_accept(R"({"urls":[{"url":"not a url"}]})").urls[0] == "not a url");
}

TEST_CASE("fetch request: an item's fields override the request's, its headers merged over them", "[fetch_request]") {
  auto job = must_accept(R"({"urls":["http://a/",
      {"url":"http://b/","id":"b-1","method":"PUT","headers":{"user-agent":"item","X-Item":"1"},"body":"{}"},
      {"url":"http://c/","id":"","method":"HEAD"}],
    "method":"GET","headers":{"User-Agent":"req","X-Req":"r"}})");
  CHECK(job.method == "GET");
  CHECK(job.headers == Headers{{"User-Agent", "req"}, {"X-Req", "r"}});
  CHECK(job.item(0)->method == std::nullopt);
  const FetchItem& b = *job.item(1);
  CHECK(b.id == "b-1");
  CHECK(b.method == "PUT");
  CHECK(b.body == "{}");
  REQUIRE(b.headers.has_value());
  CHECK(*b.headers == Headers{{"X-Req", "r"}, {"X-Item", "1"}, {"user-agent", "item"}});
  const FetchItem& c = *job.item(2);
  CHECK(c.id == "");
  CHECK(c.method == "HEAD");
  CHECK_FALSE(c.headers.has_value());  // sends the request's
  // An item's body with the request's method; the request's body with an item's method.
  job = must_accept(R"({"urls":[{"url":"http://a/","body":"x"}],"method":"POST"})");
  CHECK(job.item(0)->body == "x");
  job = must_accept(R"({"urls":[{"url":"http://a/","method":"PATCH"}],"method":"POST","body":"shared"})");
  CHECK(job.body == "shared");
  CHECK_FALSE(job.item(0)->body.has_value());
}

TEST_CASE("fetch request: a bad item is refused naming urls[i].field", "[fetch_request]") {
  const std::string ok = R"("http://ok/",)";
  auto items = [&](const std::string& item, const std::string& extra = "") {
    return R"({"urls":[)" + ok + ok + ok + item + "]" + extra + "}";
  };
  must_reject_field(items("{}"), "urls[3].url");
  must_reject_field(items(R"({"id":"x"})"), "urls[3].url");
  for (const char* v : {"1", "null", "[]", "{}", "true"}) must_reject_field(items(R"({"url":)" + std::string(v) + "}"), "urls[3].url");
  must_reject_field(items(R"({"url":"http://a/","URL":"x"})"), "urls[3].URL");
  must_reject_field(items(R"({"url":"http://a/","zz":1,"concurrency":2})"), "urls[3].concurrency");
  for (const char* v : {"1", "null", "[\"a\"]", "{}", "false"}) must_reject_field(items(R"({"url":"http://a/","id":)" + std::string(v) + "}"), "urls[3].id");
  must_accept(items(R"({"url":"http://a/","id":")" + std::string(1024, 'i') + "\"}"));
  must_reject_field(items(R"({"url":"http://a/","id":")" + std::string(1025, 'i') + "\"}"), "urls[3].id");
  for (const char* v : {"\"get\"", "\"TRACE\"", "1", "null"}) must_reject_field(items(R"({"url":"http://a/","method":)" + std::string(v) + "}"), "urls[3].method");
  for (const char* v : {"null", "[]", "\"x\"", "1"}) must_reject_field(items(R"({"url":"http://a/","headers":)" + std::string(v) + "}"), "urls[3].headers");
  must_reject_field(items(R"({"url":"http://a/","headers":{"Host":"x"}})"), "urls[3].headers.Host");
  must_reject_field(items(R"({"url":"http://a/","headers":{"content-length":"1"}})"), "urls[3].headers.content-length");
  must_reject_field(items(R"({"url":"http://a/","headers":{"a b":"x"}})"), "urls[3].headers.a b");
  must_reject_field(items(R"({"url":"http://a/","headers":{"X":1}})"), "urls[3].headers.X");
  must_reject_field(items(R"({"url":"http://a/","headers":{"X":"a\r\nb"}})"), "urls[3].headers.X");
  {
    json h = json::object();
    for (int i = 0; i < 65; ++i) h["X-H" + std::to_string(i)] = "v";
    must_reject_field(items(R"({"url":"http://a/","headers":)" + h.dump() + "}"), "urls[3].headers");
  }
  must_reject_field(items(R"({"url":"http://a/","method":"POST","body":1})"), "urls[3].body");
  // The first bad item is named; a bad entry that is neither a string nor an object comes first.
  must_reject_field(R"({"urls":[{"url":1},{"x":1}]})", "urls[0].url");
  must_reject_field(R"({"urls":[{"x":1},5]})", "urls[1]");
  // Request-level errors come before the items'.
  must_reject_field(items(R"({"x":1})", R"(,"retries":9)"), "retries");
}

TEST_CASE("fetch request: a body with a method that sends none is refused, naming what set it", "[fetch_request]") {
  // The item's own body, with its own method or the request's.
  auto e = must_reject(R"({"urls":[{"url":"http://a/","method":"HEAD","body":"x"}]})");
  CHECK(e.message == "\"urls[0].body\": HEAD sends no body (a body goes with POST, PUT, PATCH or DELETE)");
  must_reject_field(R"({"urls":["http://a/",{"url":"http://b/","body":"x"}]})", "urls[1].body");
  // The request's body, with the item's method.
  e = must_reject(R"({"urls":[{"url":"http://a/","method":"GET"}],"method":"POST","body":"x"})");
  CHECK(e.message == "\"urls[0].method\": GET cannot send the request's \"body\" (a body goes with POST, PUT, PATCH "
                     "or DELETE)");
  // An item may send a body where the request's method sends none only with a method of its own.
  must_accept(R"({"urls":[{"url":"http://a/","method":"DELETE","body":"x"},"http://b/"]})");
}

TEST_CASE("fetch request: items as a JSON object would be read", "[fetch_request]") {
  // Repeated keys in an item: the last counts.
  auto job = must_accept(R"({"urls":[{"url":"http://x/","url":"http://a/","id":"1","id":"2"}]})");
  CHECK(job.urls[0] == "http://a/");
  CHECK(job.item(0)->id == "2");
  job = must_accept(R"({"urls":[{"url":"http://a/","headers":{"X":"1"},"headers":{"Y":"2"}}]})");
  CHECK(*job.item(0)->headers == Headers{{"Y", "2"}});
  // Values nested deeper do not leak into the item or the request.
  job = must_accept(R"({"urls":[{"url":"http://a/","headers":{"X":"1"}}],"headers":{"Z":"3"}})");
  CHECK(job.headers == Headers{{"Z", "3"}});
  CHECK(*job.item(0)->headers == Headers{{"Z", "3"}, {"X", "1"}});
  must_reject_field(R"({"urls":[{"url":"http://a/","method":{"method":"GET"}}]})", "urls[0].method");
  must_reject_field(R"({"urls":[[{"url":"http://a/"}]]})", "urls[0]");
  // Indexes count every entry, strings and objects alike.
  job = must_accept(R"({"urls":["a",{"url":"b","id":"B"},"c",{"url":"d","id":"D"}]})");
  CHECK(job.urls == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(job.item(1)->id == "B");
  CHECK(job.item(3)->id == "D");
  CHECK_FALSE(job.item(2)->id.has_value());
  // urls over the maximum counts objects too.
  auto c = defaults();
  c.max_urls = 2;
  must_reject_field(R"({"urls":["a",{"url":"b"},{"url":"c"}]})", "urls", c);
}
