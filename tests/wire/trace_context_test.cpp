// traceparent parsing with the W3C spec's examples and its test suite's cases
// (w3c/trace-context test/test.py), generation, children; X-Request-Id.
#include "asyncfetch/wire/trace_context.hpp"

#include "asyncfetch/wire/request_id.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace asyncfetch;

namespace {

const char* const suite_id = "12345678901234567890123456789012";

bool parses_to(std::string_view value, const std::string& trace_id, const std::string& parent_id, int flags) {
  const auto c = parse_traceparent(value);
  if (!c) return false;
  const std::string formatted = format_traceparent(*c);
  return trace_id_hex(*c) == trace_id && formatted.substr(36, 16) == parent_id && c->flags == flags;
}

bool is_hex_lower(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

TEST_CASE("traceparent: the spec's examples", "[trace_context]") {
  const auto sampled = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  REQUIRE(sampled);
  CHECK(trace_id_hex(*sampled) == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(sampled->parent_id == std::array<std::uint8_t, 8>{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7});
  CHECK(sampled->flags == 0x01);
  CHECK(sampled->sampled());
  CHECK(format_traceparent(*sampled) == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

  const auto not_sampled = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  REQUIRE(not_sampled);
  CHECK_FALSE(not_sampled->sampled());

  CHECK(parses_to("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "0af7651916cd43dd8448eb211c80319c",
                  "b7ad6b7169203331", 1));
  // Flags are a bit field: 09 is sampled with another bit set.
  const auto nine = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-09");
  REQUIRE(nine);
  CHECK(nine->sampled());
  CHECK(nine->flags == 0x09);
}

TEST_CASE("traceparent: the W3C test suite's valid values", "[trace_context]") {
  CHECK(parses_to("00-12345678901234567890123456789012-1234567890123456-01", suite_id, "1234567890123456", 1));
  CHECK(parses_to("00-12345678901234567890123456789012-1234567890123456-00", suite_id, "1234567890123456", 0));
  // Blanks around the value (OWS).
  for (const char* v : {" 00-12345678901234567890123456789012-1234567890123456-01",
                        "\t00-12345678901234567890123456789012-1234567890123456-01",
                        "00-12345678901234567890123456789012-1234567890123456-01 ",
                        "00-12345678901234567890123456789012-1234567890123456-01\t",
                        "\t 00-12345678901234567890123456789012-1234567890123456-01 \t"}) {
    INFO('"' << v << '"');
    CHECK(parses_to(v, suite_id, "1234567890123456", 1));
  }
  // A future version (0xcc) is read for its known fields.
  CHECK(parses_to("cc-12345678901234567890123456789012-1234567890123456-01", suite_id, "1234567890123456", 1));
  CHECK(parses_to("cc-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like", suite_id,
                  "1234567890123456", 1));
  CHECK(parses_to("cc-12345678901234567890123456789012-1234567890123456-01-", suite_id, "1234567890123456", 1));
}

TEST_CASE("traceparent: the W3C test suite's invalid values restart the trace", "[trace_context]") {
  for (const char* v : {
           // version 00 with anything after the flags
           "00-12345678901234567890123456789012-1234567890123456-01.",
           "00-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like",
           // a future version whose flags are followed by something other than '-'
           "cc-12345678901234567890123456789012-1234567890123456-01.what-the-future-will-be-like",
           // version ff, bad characters, wrong lengths
           "ff-12345678901234567890123456789012-1234567890123456-01",
           ".0-12345678901234567890123456789012-1234567890123456-01",
           "0.-12345678901234567890123456789012-1234567890123456-01",
           "000-12345678901234567890123456789012-1234567890123456-01",
           "0000-12345678901234567890123456789012-1234567890123456-01",
           "0-12345678901234567890123456789012-1234567890123456-01",
           // trace id
           "00-00000000000000000000000000000000-1234567890123456-01",
           "00-.2345678901234567890123456789012-1234567890123456-01",
           "00-1234567890123456789012345678901.-1234567890123456-01",
           "00-123456789012345678901234567890123-1234567890123456-01",
           "00-1234567890123456789012345678901-1234567890123456-01",
           // parent id
           "00-12345678901234567890123456789012-0000000000000000-01",
           "00-12345678901234567890123456789012-.234567890123456-01",
           "00-12345678901234567890123456789012-123456789012345.-01",
           "00-12345678901234567890123456789012-12345678901234567-01",
           "00-12345678901234567890123456789012-123456789012345-01",
           // flags
           "00-12345678901234567890123456789012-1234567890123456-.0",
           "00-12345678901234567890123456789012-1234567890123456-0.",
           "00-12345678901234567890123456789012-1234567890123456-001",
           "00-12345678901234567890123456789012-1234567890123456-1",
       }) {
    INFO(v);
    CHECK_FALSE(parse_traceparent(v));
  }
}

TEST_CASE("traceparent: upper-case hex, other delimiters, short and empty values are invalid", "[trace_context]") {
  for (const char* v : {
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",
           "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
           "00 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 01",
           " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 x",
           "",
           "  ",
           "00",
       }) {
    INFO('"' << v << '"');
    CHECK_FALSE(parse_traceparent(v));
  }
  CHECK_FALSE(parse_traceparent(std::string_view("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0\0", 55)));
}

TEST_CASE("traceparent: a future version keeps only the sampled flag and is sent on as version 00",
          "[trace_context]") {
  const auto c = parse_traceparent("cc-12345678901234567890123456789012-1234567890123456-ff-extra");
  REQUIRE(c);
  CHECK(c->flags == 0x01);
  CHECK(format_traceparent(*c) == "00-12345678901234567890123456789012-1234567890123456-01");
  // Version 00 keeps its flags as sent.
  const auto v00 = parse_traceparent("00-12345678901234567890123456789012-1234567890123456-03");
  REQUIRE(v00);
  CHECK(v00->flags == 0x03);
}

TEST_CASE("start_trace: random non-zero ids, not sampled, and a value that parses back", "[trace_context]") {
  std::set<std::string> traces, parents;
  for (int i = 0; i < 2000; ++i) {
    const TraceContext c = start_trace();
    const std::string s = format_traceparent(c);
    REQUIRE(s.size() == 55);
    CHECK(s.substr(0, 3) == "00-");
    CHECK(s.substr(52) == "-00");
    CHECK(is_hex_lower(s.substr(3, 32)));
    CHECK(is_hex_lower(s.substr(36, 16)));
    const auto back = parse_traceparent(s);  // non-zero ids, else this fails
    REQUIRE(back);
    CHECK(*back == c);
    CHECK_FALSE(c.sampled());
    traces.insert(trace_id_hex(c));
    parents.insert(s.substr(36, 16));
  }
  CHECK(traces.size() == 2000);
  CHECK(parents.size() == 2000);
}

TEST_CASE("child_of: same trace id and flags, a fresh parent id", "[trace_context]") {
  const auto parent = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  REQUIRE(parent);
  std::set<std::string> parents;
  for (int i = 0; i < 1000; ++i) {
    const TraceContext child = child_of(*parent);
    CHECK(child.trace_id == parent->trace_id);
    CHECK(child.flags == parent->flags);
    CHECK(child.parent_id != parent->parent_id);
    const std::string s = format_traceparent(child);
    CHECK(s.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
    CHECK(s.ends_with("-01"));
    CHECK(parse_traceparent(s));
    parents.insert(s.substr(36, 16));
  }
  CHECK(parents.size() == 1000);
}

TEST_CASE("ids made on different threads differ (each thread seeds its own engine)", "[trace_context]") {
  std::vector<std::string> a, b;
  std::thread ta([&] {
    for (int i = 0; i < 500; ++i) a.push_back(trace_id_hex(start_trace()));
  });
  std::thread tb([&] {
    for (int i = 0; i < 500; ++i) b.push_back(trace_id_hex(start_trace()));
  });
  ta.join();
  tb.join();
  std::set<std::string> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  CHECK(all.size() == 1000);
}

TEST_CASE("X-Request-Id: a sane client value is kept, anything else replaced", "[request_id]") {
  CHECK(request_id_for("abc-123") == "abc-123");
  CHECK(request_id_for("0af7651916cd43dd8448eb211c80319c") == "0af7651916cd43dd8448eb211c80319c");
  const std::string visible = [] {
    std::string s;
    for (char c = 0x21; c <= 0x7e; ++c) s.push_back(c);
    return s;
  }();
  CHECK(is_sane_request_id(visible));
  CHECK(request_id_for(visible) == visible);
  CHECK(is_sane_request_id(std::string(128, 'x')));

  for (const std::string& bad :
       {std::string(), std::string(129, 'x'), std::string("has space"), std::string("tab\there"),
        std::string("line\r\nbreak"), std::string("nul\0byte", 8), std::string("del\x7f"), std::string("caf\xc3\xa9"),
        std::string(" leading"), std::string("trailing ")}) {
    INFO('"' << bad << '"');
    CHECK_FALSE(is_sane_request_id(bad));
    const std::string made = request_id_for(bad);
    CHECK(made != bad);
    CHECK(made.size() == 32);
    CHECK(is_hex_lower(made));
  }
}

TEST_CASE("X-Request-Id: generated ids are 32 hex digits and distinct", "[request_id]") {
  std::set<std::string> ids;
  for (int i = 0; i < 2000; ++i) {
    const std::string id = generate_request_id();
    CHECK(id.size() == 32);
    CHECK(is_hex_lower(id));
    CHECK(is_sane_request_id(id));
    ids.insert(id);
  }
  CHECK(ids.size() == 2000);
}
