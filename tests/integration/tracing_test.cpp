// Trace context and request ids on the real binary: the traceparent each
// fetch carries as the upstream sees it, X-Request-Id on every answer, and
// both ids on the request's log lines.
#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <string>

#include "client.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;

namespace {

const std::string caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string caller_parent = "00f067aa0ba902b7";

struct Traceparent {
  std::string trace_id, parent_id, flags;
};

// The traceparent each URL's request carried, from the /headers bodies.
std::vector<Traceparent> seen_upstream(const Json& res) {
  static const std::regex shape("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");
  std::vector<Traceparent> out;
  for (const auto& r : res["results"]) {
    INFO(r.dump());
    REQUIRE(r["ok"] == true);
    const auto headers = Json::parse(r["body"].get<std::string>());
    REQUIRE(headers.contains("traceparent"));
    const std::string value = headers["traceparent"];
    std::smatch m;
    REQUIRE(std::regex_match(value, m, shape));
    out.push_back({m[1], m[2], m[3]});
  }
  return out;
}

Json headers_urls(const Upstream& up, int n) {
  Json urls = Json::array();
  for (int i = 0; i < n; ++i) urls.push_back(up.url("/headers?i=" + std::to_string(i)));
  return urls;
}

}  // namespace

TEST_CASE("tracing: the caller's trace id and flags go upstream, with a fresh parent id per fetch", "[tracing]") {
  Upstream up;
  Service svc;
  for (const char* flags : {"01", "00"}) {
    INFO("flags " << flags);
    auto res = fetch(svc.port(), {{"urls", headers_urls(up, 3)}, {"include_body", true}},
                     {{"traceparent", "00-" + caller_trace + "-" + caller_parent + "-" + flags}});
    const auto seen = seen_upstream(res);
    REQUIRE(seen.size() == 3);
    std::set<std::string> parents;
    for (const auto& t : seen) {
      CHECK(t.trace_id == caller_trace);
      CHECK(t.flags == flags);
      CHECK(t.parent_id != caller_parent);
      CHECK(t.parent_id != "0000000000000000");
      parents.insert(t.parent_id);
    }
    CHECK(parents.size() == 3);
  }
  CHECK(svc.stop() == 0);
}

TEST_CASE("tracing: without a valid traceparent each /fetch starts a trace of its own", "[tracing]") {
  Upstream up;
  Service svc;
  std::set<std::string> traces;
  const std::string valid = "00-" + caller_trace + "-" + caller_parent + "-01";
  const std::vector<Headers> sent = {
      {},
      {{"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}},  // all-zero trace id
      {{"traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"}},  // upper case
      {{"traceparent", "garbage"}},
      {{"traceparent", valid}, {"traceparent", valid}},  // two fields: neither counts
  };
  for (const auto& h : sent) {
    INFO(h.size() << " traceparent field(s): " << (h.empty() ? "" : h.begin()->second));
    const auto seen = seen_upstream(fetch(svc.port(), {{"urls", headers_urls(up, 2)}, {"include_body", true}}, h));
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].trace_id == seen[1].trace_id);  // one trace per /fetch
    CHECK(seen[0].parent_id != seen[1].parent_id);
    CHECK(seen[0].trace_id != "00000000000000000000000000000000");
    CHECK(seen[0].trace_id != caller_trace);
    CHECK(seen[0].flags == "00");
    traces.insert(seen[0].trace_id);
  }
  CHECK(traces.size() == sent.size());  // a new one each time
  CHECK(svc.stop() == 0);
}

TEST_CASE("tracing: a traceparent in the request's headers field is sent as it is", "[tracing]") {
  Upstream up;
  Service svc;
  const std::string own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  auto res = fetch(svc.port(), {{"urls", headers_urls(up, 2)}, {"include_body", true},
                                {"headers", {{"traceparent", own}}}},
                   {{"traceparent", "00-" + caller_trace + "-" + caller_parent + "-01"}});
  for (const auto& r : res["results"]) CHECK(Json::parse(r["body"].get<std::string>())["traceparent"] == own);
  CHECK(svc.stop() == 0);
}

TEST_CASE("tracing: X-Request-Id is echoed when sane, else made, on every answer", "[tracing]") {
  Upstream up;
  Service svc;
  const std::regex generated("[0-9a-f]{32}");
  const Json body = {{"urls", {up.url("/bytes?n=1")}}};

  auto r = post(svc.port(), "/fetch", body.dump(), {{"X-Request-Id", "client-req.42"}});
  CHECK(r.status == 200);
  CHECK(r.header("X-Request-Id") == "client-req.42");
  const std::string longest(128, 'r');
  CHECK(post(svc.port(), "/fetch", body.dump(), {{"X-Request-Id", longest}}).header("X-Request-Id") == longest);

  // Absent, too long, or with a blank: a new one, different each time.
  std::set<std::string> made;
  for (const std::string& sent : {std::string(), std::string(129, 'r'), std::string("two words")}) {
    Headers h;
    if (!sent.empty()) h.emplace("X-Request-Id", sent);
    r = post(svc.port(), "/fetch", body.dump(), h);
    INFO("sent '" << sent << "', got '" << r.header("X-Request-Id") << "'");
    CHECK(std::regex_match(r.header("X-Request-Id"), generated));
    made.insert(r.header("X-Request-Id"));
  }
  CHECK(made.size() == 3);

  // Errors, other endpoints and NDJSON streams carry it too.
  CHECK(post(svc.port(), "/fetch", "{", {{"X-Request-Id", "bad-json"}}).header("X-Request-Id") == "bad-json");
  CHECK(get(svc.port(), "/nope", {{"X-Request-Id", "nope"}}).header("X-Request-Id") == "nope");
  CHECK(std::regex_match(get(svc.port(), "/healthz").header("X-Request-Id"), generated));
  RawConn conn(svc.port());
  const std::string ndjson = body.dump();
  conn.send("POST /fetch HTTP/1.1\r\nHost: x\r\nAccept: application/x-ndjson\r\nX-Request-Id: streamed\r\n"
            "Connection: close\r\nContent-Length: " + std::to_string(ndjson.size()) + "\r\n\r\n" + ndjson);
  bool closed = false;
  const std::string answer = conn.read_until_close(std::chrono::seconds(10), closed);
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(answer, Catch::Contains("\r\nX-Request-Id: streamed\r\n"));
  CHECK(svc.stop() == 0);
}

TEST_CASE("tracing: the request's log lines carry its request_id and trace_id", "[tracing]") {
  Upstream up;
  Service svc;
  auto r = post(svc.port(), "/fetch", Json{{"urls", {up.url("/bytes?n=1")}}}.dump(),
                {{"X-Request-Id", "log-me"}, {"traceparent", "00-" + caller_trace + "-" + caller_parent + "-01"}});
  REQUIRE(r.status == 200);
  get(svc.port(), "/healthz", {{"X-Request-Id", "probe"}});
  // A request's line is written once its answer is out: wait for the last one.
  REQUIRE(eventually(
      [&] {
        for (const auto& line : svc.log_entries("request"))
          if (line.value("request_id", "") == "probe") return true;
        return false;
      },
      std::chrono::seconds(5)));
  bool found_fetch = false, found_probe = false;
  for (const auto& line : svc.log_entries("request")) {
    INFO(line.dump());
    CHECK(line.contains("request_id"));
    CHECK(line.contains("trace_id"));
    if (line.value("request_id", "") == "log-me") {
      found_fetch = true;
      CHECK(line["path"] == "/fetch");
      CHECK(line["trace_id"] == caller_trace);
    }
    if (line.value("request_id", "") == "probe") {
      found_probe = true;
      CHECK(std::regex_match(line["trace_id"].get<std::string>(), std::regex("[0-9a-f]{32}")));
    }
  }
  CHECK(found_fetch);
  CHECK(found_probe);
  CHECK(svc.stop() == 0);
}
