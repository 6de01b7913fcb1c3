#include "redirect_policy.hpp"

#include <catch2/catch.hpp>

using namespace asyncfetch;

TEST_CASE("redirects: 301, 302, 303, 307 and 308 are followed", "[redirect]") {
  for (int s : {301, 302, 303, 307, 308}) CHECK(is_redirect(s));
  for (int s : {200, 300, 304, 305, 306, 309, 400}) CHECK_FALSE(is_redirect(s));
}

TEST_CASE("redirects: 303 turns every method into GET, 301/302 only POST, 307/308 none", "[redirect]") {
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"}) {
    INFO(m);
    CHECK(redirect_turns_into_get(303, m));
    CHECK_FALSE(redirect_turns_into_get(307, m));
    CHECK_FALSE(redirect_turns_into_get(308, m));
  }
  for (int s : {301, 302}) {
    CHECK(redirect_turns_into_get(s, "POST"));
    CHECK_FALSE(redirect_turns_into_get(s, "PUT"));
    CHECK_FALSE(redirect_turns_into_get(s, "GET"));
  }
}
