// Credentials in URLs: sent as Basic to the URL's origin, masked in results
// and logs, never carried to another origin by a redirect.
#include <catch2/catch.hpp>

#include "client.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;

namespace {
// "http://user:password@127.0.0.1:PORT" + path
std::string with_userinfo(const Upstream& up, const std::string& userinfo, const std::string& path) {
  return "http://" + userinfo + "@127.0.0.1:" + std::to_string(up.port()) + path;
}
}  // namespace

TEST_CASE("credentials: userinfo becomes Authorization: Basic, masked in the result", "[credentials]") {
  Upstream up;
  Service svc;
  auto res = fetch(svc.port(), {{"urls",
                                 {with_userinfo(up, "Aladdin:open%20sesame", "/headers"),
                                  with_userinfo(up, "tok3n", "/headers"),
                                  {{"url", with_userinfo(up, "u:p", "/headers")},
                                   {"headers", {{"authorization", "Bearer mine"}}}}}},
                                {"include_body", true}});
  const auto& r = res["results"];
  CHECK(body_json(r[0])["authorization"] == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK(r[0]["url"] == with_userinfo(up, "Aladdin:***", "/headers"));
  CHECK(body_json(r[1])["authorization"] == "Basic dG9rM246");  // "tok3n:"
  CHECK(r[1]["url"] == with_userinfo(up, "***", "/headers"));
  CHECK(body_json(r[2])["authorization"] == "Bearer mine");  // the headers' own wins
  CHECK(body_json(r[0])["host"] == "127.0.0.1:" + std::to_string(up.port()));
  CHECK(res.dump().find("sesame") == std::string::npos);
  CHECK(svc.stop() == 0);
}

TEST_CASE("credentials: kept on a same-origin redirect, not carried to another origin", "[credentials]") {
  Upstream up;
  Service svc;
  const std::string cross = "http%3A%2F%2Flocalhost%3A" + std::to_string(up.port()) + "%2Fheaders";
  auto res = fetch(svc.port(), {{"urls",
                                 {with_userinfo(up, "u:secret", "/redirect?to=%2Fheaders"),
                                  with_userinfo(up, "u:secret", "/redirect?to=" + cross)}},
                                {"include_body", true}});
  auto same = body_json(res["results"][0]);
  auto other = body_json(res["results"][1]);
  CHECK(same["authorization"] == "Basic dTpzZWNyZXQ=");
  CHECK_FALSE(other.contains("authorization"));
  CHECK(other["host"] == "localhost:" + std::to_string(up.port()));
  CHECK(svc.stop() == 0);
}

TEST_CASE("credentials: a redirect whose Location brings credentials of its own is refused", "[credentials]") {
  Upstream up;
  Service svc;
  const std::string to = "http%3A%2F%2Fx%3Ay%40127.0.0.1%3A" + std::to_string(up.port()) + "%2Fheaders";
  auto res = fetch(svc.port(), {{"urls", {up.url("/redirect?to=" + to)}}});
  CHECK(res["results"][0]["error"] == "protocol_error");
  CHECK(up.requests() == 1);  // the redirect was not followed
  CHECK(svc.stop() == 0);
}

TEST_CASE("credentials: a warm-up URL's are sent, and masked in the log", "[credentials][lifecycle]") {
  Upstream up;
  Service svc({.flags = {"--warmup_urls=" + with_userinfo(up, "warm:s3cret", "/headers")}});
  auto fetched = svc.log_entries("warm-up fetched");
  REQUIRE(fetched.size() == 1);
  CHECK(fetched[0]["url"] == with_userinfo(up, "warm:***", "/headers"));
  CHECK(svc.log().find("s3cret") == std::string::npos);
  CHECK(svc.stop() == 0);
}
