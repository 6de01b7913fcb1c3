// include_body (with truncated at max_body_bytes) and NDJSON streaming.
#include <catch2/catch.hpp>

#include "client.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;

TEST_CASE("include_body returns the body, cut at max_body_bytes with truncated", "[body]") {
  Upstream up;
  Service svc({.flags = {"--max_body_bytes=1000"}});
  auto res = fetch(svc.port(), {{"urls", {up.url("/bytes?n=500"), up.url("/bytes?n=5000"), up.url("/status?code=204")}},
                                {"include_body", true}});
  auto& r = res["results"];
  CHECK(r[0]["ok"] == true);
  CHECK(r[0]["body"] == std::string(500, 'x'));
  CHECK(r[0]["truncated"] == false);
  CHECK(r[1]["error"] == "too_large");
  CHECK(r[1]["status"] == 200);
  CHECK(r[1]["truncated"] == true);
  CHECK(r[1]["body"] == std::string(1000, 'x'));
  CHECK(r[2]["body"] == "");
  CHECK(r[2]["truncated"] == false);

  // Without include_body: no body fields at all.
  res = fetch(svc.port(), {{"urls", {up.url("/bytes?n=10")}}});
  CHECK_FALSE(res["results"][0].contains("body"));
  CHECK_FALSE(res["results"][0].contains("truncated"));
  CHECK(svc.stop() == 0);
}

TEST_CASE("NDJSON: one line per URL as each completes, then the summary", "[ndjson]") {
  Upstream up;
  Service svc;
  const std::string slow = up.url("/delay?ms=3000");
  const std::string fast = up.url("/delay?ms=20");
  auto s = fetch_ndjson(svc.port(), {{"urls", {slow, fast, "bad url"}}, {"concurrency", 3}});
  CHECK(s.status == 200);
  CHECK(s.content_type == "application/x-ndjson");
  REQUIRE(s.lines.size() == 4);
  // By completion: the invalid URL and the fast one first, the slow one last.
  std::vector<std::string> order;
  for (std::size_t i = 0; i < 3; ++i) order.push_back(s.lines[i].json["url"]);
  CHECK(order[2] == slow);
  CHECK(std::find(order.begin(), order.end(), fast) != order.end());
  CHECK(std::find(order.begin(), order.end(), "bad url") != order.end());
  // Streamed, not buffered: the fast results reached us well before the slow one ended.
  // (3 s apart, so that a slow sanitizer build on a loaded machine cannot blur it.)
  CHECK(s.lines[0].at.count() < 2000);
  CHECK(s.lines[1].at.count() < 2000);
  CHECK(s.lines[2].at.count() >= 2900);
  for (std::size_t i = 0; i < 3; ++i) {
    auto& l = s.lines[i].json;
    if (l["url"] == "bad url") {
      CHECK(l["error"] == "invalid_url");
    } else {
      CHECK(l["ok"] == true);
      CHECK(l["status"] == 200);
    }
  }
  auto& summary = s.lines[3].json;
  REQUIRE(summary.contains("summary"));
  CHECK(summary["summary"]["total"] == 3);
  CHECK(summary["summary"]["succeeded"] == 2);
  CHECK(summary["summary"]["failed"] == 1);
  // The request log: the stream's status, and no word of it being cut short.
  Json logged;
  REQUIRE(eventually(
      [&] {
        for (auto& j : svc.log_entries("request"))
          if (j["path"] == "/fetch") logged = j;
        return !logged.is_null();
      },
      std::chrono::seconds(2)));
  CHECK(logged["status"] == 200);
  CHECK_FALSE(logged.contains("incomplete"));
  CHECK(get(svc.port(), "/healthz").status == 200);
  CHECK(svc.stop() == 0);
}
