// Redirects (final status, the max_redirects bound, credentials dropped on a
// cross-origin hop) and retries (Retry-After honoured, attempts counted).
#include <catch2/catch.hpp>

#include <thread>

#include "client.hpp"
#include "raw_upstream.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;

namespace {

std::string encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("redirects: the status is the final one, up to max_redirects", "[redirects]") {
  Upstream up;
  Service svc({.flags = {"--max_redirects=3"}});
  std::vector<std::string> urls = {
      up.url("/redirect?code=301&to=" + encode("/bytes?n=5")),
      up.url("/redirect?code=307&to=" + encode(up.url("/status?code=204"))),
      up.url("/redirect-chain?n=3"),  // exactly max_redirects: followed
      up.url("/redirect-chain?n=4"),  // one too many
      up.url("/redirect?code=302&to=" + encode("/status?code=404")),
  };
  auto res = fetch(svc.port(), {{"urls", urls}});
  auto& r = res["results"];
  CHECK(r[0]["status"] == 200);
  CHECK(r[0]["ok"] == true);
  CHECK(r[0]["bytes"] == 5);
  CHECK(r[1]["status"] == 204);
  CHECK(r[1]["ok"] == true);
  CHECK(r[2]["status"] == 200);
  CHECK(r[2]["ok"] == true);
  CHECK(r[3]["error"] == "protocol_error");
  CHECK(r[3]["ok"] == false);
  CHECK(r[4]["status"] == 404);
  CHECK(r[4]["ok"] == false);
  CHECK(r[4]["error"].is_null());
  CHECK(svc.stop() == 0);
}

TEST_CASE("redirects: Authorization and Cookie are not carried to another origin", "[redirects]") {
  Upstream up;
  Service svc;
  Json headers = {{"Authorization", "Bearer secret"}, {"Cookie", "session=1"}, {"X-Trace", "t1"}};
  std::vector<std::string> urls = {
      up.url("/redirect?to=" + encode("/headers")),                          // same origin
      up.url("/redirect?to=" + encode(up.url("/headers", "localhost"))),     // another origin (host differs)
  };
  auto res = fetch(svc.port(), {{"urls", urls}, {"headers", headers}, {"include_body", true}});
  REQUIRE(res["results"][0]["ok"] == true);
  REQUIRE(res["results"][1]["ok"] == true);
  auto same = Json::parse(res["results"][0]["body"].get<std::string>());
  auto cross = Json::parse(res["results"][1]["body"].get<std::string>());
  CHECK(same["authorization"] == "Bearer secret");
  CHECK(same["cookie"] == "session=1");
  CHECK(same["x-trace"] == "t1");
  CHECK_FALSE(cross.contains("authorization"));
  CHECK_FALSE(cross.contains("cookie"));
  CHECK(cross["x-trace"] == "t1");  // other headers still go
  CHECK(cross["host"] == "localhost:" + std::to_string(up.port()));
  CHECK(svc.stop() == 0);
}

TEST_CASE("retries honour Retry-After and count attempts", "[retries]") {
  Upstream up;
  Service svc;
  std::vector<std::string> urls = {up.url("/retry-after?key=a"), up.url("/retry-after?key=b")};
  auto res = fetch(svc.port(), {{"urls", {urls[0]}}, {"retries", 2}, {"timeout_ms", 5000}});
  auto r = res["results"][0];
  CHECK(r["ok"] == true);
  CHECK(r["status"] == 200);
  CHECK(r["attempts"] == 2);
  CHECK(r["elapsed_ms"].get<double>() >= 950);  // waited the 1 s the server asked for
  CHECK(r["elapsed_ms"].get<double>() < 3000);

  // Without retries: the 503 is the answer (a response, so no error code).
  res = fetch(svc.port(), {{"urls", {urls[1]}}});
  r = res["results"][0];
  CHECK(r["ok"] == false);
  CHECK(r["status"] == 503);
  CHECK(r["attempts"] == 1);
  CHECK(r["error"].is_null());
  CHECK(svc.stop() == 0);
}

TEST_CASE("retries stop when the URL's timeout leaves no room for Retry-After", "[retries]") {
  Upstream up;
  Service svc;
  auto res = fetch(svc.port(), {{"urls", {up.url("/retry-after?key=c&fail=5")}}, {"retries", 5}, {"timeout_ms", 900}});
  auto r = res["results"][0];
  // The 503 asks for 1 s; less than that is left of the 900 ms: no retry.
  CHECK(r["status"] == 503);
  CHECK(r["attempts"] == 1);
  CHECK(r["elapsed_ms"].get<double>() < 900);
  CHECK(svc.stop() == 0);
}

TEST_CASE("retries: a connect failure is tried again, up to retries more times", "[retries]") {
  Service svc;
  auto res = fetch(svc.port(), {{"urls", {"http://127.0.0.1:" + std::to_string(closed_port()) + "/"}},
                                {"retries", 2},
                                {"timeout_ms", 5000}});
  auto r = res["results"][0];
  CHECK(r["error"] == "connect_failed");
  CHECK(r["attempts"] == 3);
  CHECK(svc.stop() == 0);
}

TEST_CASE("a pooled connection the upstream closed while idle is replaced, not reported", "[retries]") {
  Upstream up(std::nullopt, /*keep_alive_s=*/1);
  Service svc;
  auto res = fetch(svc.port(), {{"urls", {up.url("/bytes?n=2")}}});
  REQUIRE(res["results"][0]["ok"] == true);
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));  // the upstream closes its side
  res = fetch(svc.port(), {{"urls", {up.url("/bytes?n=3")}}});
  CHECK(res["results"][0]["ok"] == true);
  CHECK(res["results"][0]["bytes"] == 3);
  CHECK(res["results"][0]["attempts"] == 1);
  CHECK(res["results"][0]["error"].is_null());
  CHECK(svc.stop() == 0);
}
