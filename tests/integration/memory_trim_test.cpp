// memory_trim_ms: once fetches have run and the service has been quiet for a
// whole period, it hands freed heap memory back to the OS, once per quiet
// spell. (What that does to the RSS depends on the heap's layout. Here: that
// it happens, and only when it should.)
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "client.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;
using namespace std::chrono_literals;

namespace {

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

constexpr const char* kTrimmed = "\"msg\":\"memory trimmed\"";

}  // namespace

TEST_CASE("memory is trimmed once after fetches, when the service has gone quiet", "[memory]") {
  Upstream up;
  Service svc({.flags = {"--memory_trim_ms=100", "--log_level=debug"}});
  std::this_thread::sleep_for(300ms);  // three quiet periods with nothing fetched yet
  CHECK(count(svc.log(), kTrimmed) == 0);

  // Busy: a fetch in flight for 800 ms holds the trim back however slow the machine.
  auto busy = std::async(std::launch::async, [&] { return fetch(svc.port(), {{"urls", {up.url("/delay?ms=800")}}}); });
  std::this_thread::sleep_for(500ms);
  CHECK(count(svc.log(), kTrimmed) == 0);
  REQUIRE(busy.get()["summary"]["succeeded"] == 1);

  // Quiet: one trim, reporting the resident size before and after.
  REQUIRE(eventually([&] { return count(svc.log(), kTrimmed) == 1; }, 5s));
  CHECK_THAT(svc.log(), Catch::Contains("\"rss_mb_before\":") && Catch::Contains("\"rss_mb_after\":"));
  std::this_thread::sleep_for(400ms);  // still quiet: nothing new to give back
  CHECK(count(svc.log(), kTrimmed) == 1);

  // Another burst, another quiet spell, another trim.
  fetch(svc.port(), {{"urls", {up.url("/bytes?n=10")}}});
  CHECK(eventually([&] { return count(svc.log(), kTrimmed) == 2; }, 5s));
  CHECK(svc.stop() == 0);
}

TEST_CASE("memory_trim_ms=0 never trims", "[memory]") {
  Upstream up;
  Service svc({.flags = {"--memory_trim_ms=0", "--log_level=debug"}});
  fetch(svc.port(), {{"urls", {up.url("/bytes?n=10")}}});
  std::this_thread::sleep_for(300ms);
  CHECK(count(svc.log(), kTrimmed) == 0);
  CHECK(svc.stop() == 0);
}
