// Items and bodies, seen at the upstream: each item's id in its result, its
// method, body and headers on the wire exactly, the request's fields for the
// rest; and the errors a bad item gets.
#include <catch2/catch.hpp>

#include "client.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;

TEST_CASE("items: id, method, body and headers reach the upstream as given", "[items]") {
  Upstream up;
  Service svc;
  const Json body = {
      {"urls",
       {up.url("/echo?plain"),
        {{"url", up.url("/echo?post")},
         {"id", "order-17"},
         {"method", "POST"},
         {"headers", {{"content-type", "application/json"}, {"x-tenant", "item"}}},
         {"body", "{\"qty\":3}"}},
        {{"url", up.url("/echo?put")}, {"id", "put-1"}, {"method", "PUT"}, {"body", ""}},
        {{"url", up.url("/echo?delete")}, {"method", "DELETE"}, {"body", "gone"}},
        {{"url", up.url("/echo?patch")}, {"method", "PATCH"}},
        {{"url", up.url("/echo?get")}, {"id", ""}}}},
      {"headers", {{"X-Tenant", "request"}, {"X-Request-Level", "1"}}},
      {"include_body", true}};
  auto res = fetch(svc.port(), body);
  const auto& r = res["results"];
  REQUIRE(r.size() == 6);

  CHECK_FALSE(r[0].contains("id"));  // a plain string: no id
  auto plain = body_json(r[0]);
  CHECK(plain["method"] == "GET");
  CHECK(plain["body"] == "");
  CHECK(plain["headers"]["x-tenant"] == "request");
  CHECK(plain["headers"]["x-request-level"] == "1");
  CHECK_FALSE(plain["headers"].contains("content-length"));

  CHECK(r[1]["id"] == "order-17");
  auto post = body_json(r[1]);
  CHECK(post["method"] == "POST");
  CHECK(post["body"] == "{\"qty\":3}");
  CHECK(post["headers"]["content-length"] == "9");
  CHECK(post["headers"]["content-type"] == "application/json");
  CHECK(post["headers"]["x-tenant"] == "item");  // the item's wins, whatever the case
  CHECK(post["headers"]["x-request-level"] == "1");

  CHECK(r[2]["id"] == "put-1");
  auto put = body_json(r[2]);
  CHECK(put["method"] == "PUT");
  CHECK(put["body"] == "");
  CHECK(put["headers"]["content-length"] == "0");
  CHECK_FALSE(put["headers"].contains("content-type"));  // only from the headers

  CHECK_FALSE(r[3].contains("id"));  // an item without one
  auto del = body_json(r[3]);
  CHECK(del["method"] == "DELETE");
  CHECK(del["body"] == "gone");
  CHECK(del["headers"]["content-length"] == "4");

  auto patch = body_json(r[4]);
  CHECK(patch["method"] == "PATCH");
  CHECK(patch["body"] == "");
  CHECK(patch["headers"]["content-length"] == "0");  // announced: servers expect a length with PATCH

  CHECK(r[5]["id"] == "");
  CHECK(body_json(r[5])["method"] == "GET");
  CHECK(up.requests() == 6);
  CHECK(svc.stop() == 0);
}

TEST_CASE("items: the request's method and body go to every item that sets none", "[items]") {
  Upstream up;
  Service svc;
  std::string big(200000, 'z');
  auto res = fetch(svc.port(), {{"urls", {up.url("/echo?a"), {{"url", up.url("/echo?b")}, {"body", "own"}},
                                          {{"url", up.url("/echo?c")}, {"method", "PUT"}}}},
                                {"method", "POST"},
                                {"body", big},
                                {"include_body", true}});
  auto a = body_json(res["results"][0]);
  CHECK(a["method"] == "POST");
  CHECK(a["body"] == big);
  CHECK(a["headers"]["content-length"] == std::to_string(big.size()));
  auto b = body_json(res["results"][1]);
  CHECK(b["method"] == "POST");
  CHECK(b["body"] == "own");
  auto c = body_json(res["results"][2]);
  CHECK(c["method"] == "PUT");
  CHECK(c["body"] == big);
  CHECK(svc.stop() == 0);
}

TEST_CASE("items: ids in NDJSON lines, which come in completion order", "[items]") {
  Upstream up;
  Service svc;
  auto streamed = fetch_ndjson(svc.port(), {{"urls",
                                             {{{"url", up.url("/delay?ms=400")}, {"id", "slow"}},
                                              {{"url", up.url("/delay?ms=1")}, {"id", "fast"}}}}});
  REQUIRE(streamed.status == 200);
  REQUIRE(streamed.lines.size() == 3);
  CHECK(streamed.lines[0].json["id"] == "fast");
  CHECK(streamed.lines[1].json["id"] == "slow");
  CHECK(svc.stop() == 0);
}

TEST_CASE("items: a redirect that turns the method into GET drops the body, 307 keeps both", "[items]") {
  Upstream up;
  Service svc;
  auto res = fetch(svc.port(), {{"urls",
                                 {up.url("/redirect?code=303&to=%2Fecho"), up.url("/redirect?code=302&to=%2Fecho"),
                                  up.url("/redirect?code=307&to=%2Fecho")}},
                                {"method", "POST"},
                                {"headers", {{"Content-Type", "text/plain"}}},
                                {"body", "payload"},
                                {"include_body", true}});
  for (int i : {0, 1}) {
    INFO(i);
    auto e = body_json(res["results"][i]);
    CHECK(e["method"] == "GET");
    CHECK(e["body"] == "");
    CHECK_FALSE(e["headers"].contains("content-length"));
  }
  auto kept = body_json(res["results"][2]);
  CHECK(kept["method"] == "POST");
  CHECK(kept["body"] == "payload");
  CHECK(kept["headers"]["content-length"] == "7");
  CHECK(svc.stop() == 0);
}

TEST_CASE("items: a bad item is a 400 naming urls[i].field", "[items]") {
  Service svc;
  struct Case {
    Json body;
    std::string field;
  };
  const Case cases[] = {
      {{{"urls", {"http://a/", {{"id", "x"}}}}}, "urls[1].url"},
      {{{"urls", {"http://a/", "http://b/", "http://c/", {{"url", "http://d/"}, {"method", "FETCH"}}}}},
       "urls[3].method"},
      {{{"urls", {{{"url", "http://a/"}, {"id", 7}}}}}, "urls[0].id"},
      {{{"urls", {{{"url", "http://a/"}, {"headers", {{"Host", "x"}}}}}}}, "urls[0].headers.Host"},
      {{{"urls", {{{"url", "http://a/"}, {"body", "x"}}}}}, "urls[0].body"},
      {{{"urls", {{{"url", "http://a/"}, {"method", "HEAD"}}}}, {"method", "POST"}, {"body", "x"}}, "urls[0].method"},
      {{{"urls", {{{"url", "http://a/"}, {"tags", {"a"}}}}}}, "urls[0].tags"},
      {{{"urls", {"http://a/"}}, {"body", "x"}}, "body"},
      {{{"urls", {"http://a/"}}, {"per_host_concurrency", 0}}, "per_host_concurrency"},
      {{{"urls", {"http://a/"}}, {"try_timeout_ms", 0}}, "try_timeout_ms"},
  };
  for (const auto& c : cases) {
    INFO(c.body.dump());
    auto r = post(svc.port(), "/fetch", c.body.dump());
    CHECK(r.status == 400);
    CHECK(r.json()["error"]["code"] == "invalid_field");
    CHECK(r.json()["error"]["message"].get<std::string>().rfind("\"" + c.field + "\"", 0) == 0);
  }
  CHECK(svc.stop() == 0);
}
