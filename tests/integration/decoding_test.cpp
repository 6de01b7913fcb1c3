// Content decoding on the real binary: the service offers every coding it
// decodes, undoes gzip, deflate, br, zstd and stacks of them as the body
// arrives, reports bytes (decoded), wire_bytes and content_encoding, passes
// bodies through with decode:false or a coding it does not know, fails
// corrupt ones with protocol_error, stops a gzip, br or zstd compression bomb
// at max_body_bytes with its memory bounded, and refuses a zstd frame that
// asks for a window over the cap without allocating it.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "client.hpp"
#include "process_memory.hpp"
#include "raw_upstream.hpp"
#include "recovery.hpp"
#include "service_process.hpp"
#include "test_encoders.hpp"
#include "upstream.hpp"

using namespace it;
using asyncfetch::ContentCoding;
namespace test = asyncfetch::test;

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields encoded_as(const std::string& coding) { return {{"Content-Encoding", coding}}; }

// A bomb of `coding` (256 MiB of zeros in a few hundred KiB at most) ends
// too_large after exactly max_body_bytes of output, twice, fast, the service's
// peak RSS all but unmoved; then nothing has leaked. Returns the two results.
Json check_bomb(ContentCoding coding, const std::string& bomb) {
  const std::string name(to_string(coding));
  Upstream up;
  up.canned("/canned/bomb", bomb, encoded_as(name));
  up.canned("/canned/small", test::encode(coding, "warm"), encoded_as(name));
  Service svc({.flags = {hostile_global_flag}});  // max_body_bytes: 1 MiB
  // The resident peak of a service that has decoded this coding already.
  REQUIRE(fetch(svc.port(), {{"urls", {up.url("/canned/small")}}})["results"][0]["ok"] == true);
  const long before = peak_rss_kib(svc.pid());
  REQUIRE(before > 0);

  const auto t0 = std::chrono::steady_clock::now();
  auto res = fetch(svc.port(), {{"urls", {up.url("/canned/bomb"), up.url("/canned/bomb?again")}},
                                {"timeout_ms", 60000}});
  const double took_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  for (int i : {0, 1}) {
    auto& r = res["results"][i];
    INFO(r.dump());
    CHECK(r["error"] == "too_large");
    CHECK(r["status"] == 200);
    CHECK(r["bytes"] == 1048576);  // exactly max_body_bytes of output, not one more
    CHECK(r["wire_bytes"].get<std::size_t>() <= bomb.size());
    CHECK(r["content_encoding"] == name);
  }
  const long after = peak_rss_kib(svc.pid());
  std::printf("%s bomb: %zu bytes on the wire, 2 fetches too_large in %.0f ms, VmHWM %ld -> %ld KiB\n",
              name.c_str(), bomb.size(), took_ms, before, after);
  CHECK(took_ms < 10000);  // decoding 256 MiB would take far longer under the sanitizers
  INFO("VmHWM " << before << " KiB before, " << after << " KiB after");
  CHECK(after - before < 32 * 1024);  // not the 256 MiB the bomb decodes to
  check_recovered(svc, up, hostile_global);
  CHECK(svc.stop() == 0);
  return res["results"];
}

}  // namespace

TEST_CASE("decoding: gzip, deflate, br, zstd and a stack are decoded, with bytes and wire_bytes", "[decoding]") {
  const std::string text = test::sample_body(20000);
  const std::string gzip = test::encode(ContentCoding::gzip, text);
  const std::string deflate = test::encode(ContentCoding::deflate, text);
  const std::string br = test::encode(ContentCoding::br, text);
  const std::string zstd = test::encode(ContentCoding::zstd, text);
  const std::string stacked = test::encode(ContentCoding::br, gzip);
  Upstream up;
  up.canned("/canned/gzip", gzip, encoded_as("gzip"));
  up.canned("/canned/deflate", deflate, encoded_as("deflate"));
  up.canned("/canned/br", br, encoded_as("br"));
  up.canned("/canned/zstd", zstd, encoded_as("zstd"));
  up.canned("/canned/stacked", stacked, encoded_as("gzip, br"));
  up.canned("/canned/plain", text);
  Service svc;
  auto res = fetch(svc.port(), {{"urls",
                                 {up.url("/canned/gzip"), up.url("/canned/deflate"), up.url("/canned/br"),
                                  up.url("/canned/zstd"), up.url("/canned/stacked"), up.url("/canned/plain")}},
                                {"include_body", true}});
  auto& r = res["results"];
  const std::pair<const char*, std::size_t> want[] = {{"gzip", gzip.size()}, {"deflate", deflate.size()},
                                                      {"br", br.size()},     {"zstd", zstd.size()},
                                                      {"gzip, br", stacked.size()}};
  for (std::size_t i = 0; i < std::size(want); ++i) {
    INFO(want[i].first);
    CHECK(r[i]["ok"] == true);
    CHECK(r[i]["error"].is_null());
    CHECK(r[i]["bytes"] == text.size());
    CHECK(r[i]["wire_bytes"] == want[i].second);
    CHECK(r[i]["content_encoding"] == want[i].first);
    CHECK(r[i]["truncated"] == false);
    // sample_body has stretches of random bytes (U+FFFD in JSON): compared
    // with the same text served plain.
    CHECK(r[i]["body"] == r[5]["body"]);
  }
  CHECK(r[5]["content_encoding"].is_null());
  CHECK(r[5]["bytes"] == text.size());
  CHECK(r[5]["wire_bytes"] == text.size());
  // bytes_total counts what the results count: decoded bytes.
  CHECK(stats(svc.port())["bytes_total"] == 6 * text.size());
  CHECK(svc.stop() == 0);
}

TEST_CASE("decoding: the service offers its codings, and decodes what cpp-httplib compressed", "[decoding]") {
  Upstream up;  // compresses JSON (the /headers answer) when asked to
  Service svc;
  auto res = fetch(svc.port(), {{"urls", {up.url("/headers")}}, {"include_body", true}});
  auto& r = res["results"][0];
  INFO(r.dump());
  REQUIRE(r["ok"] == true);
  const auto seen = Json::parse(r["body"].get<std::string>());
  CHECK(seen["accept-encoding"] == "gzip, deflate, br, zstd");
  CHECK(r["bytes"] == r["body"].get<std::string>().size());
  // Debian builds cpp-httplib with zlib and Brotli: it picks br, or gzip.
  if (!r["content_encoding"].is_null()) {
    CHECK((r["content_encoding"] == "br" || r["content_encoding"] == "gzip" || r["content_encoding"] == "zstd"));
    CHECK(r["wire_bytes"] != r["bytes"]);
  }
  CHECK(svc.stop() == 0);
}

TEST_CASE("decoding: a client's own Accept-Encoding is sent instead, and the answer still decoded", "[decoding]") {
  Upstream up;
  Service svc;
  auto res = fetch(svc.port(), {{"urls", {up.url("/headers")}}, {"include_body", true},
                                {"headers", {{"Accept-Encoding", "gzip"}}}});
  auto& r = res["results"][0];
  INFO(r.dump());
  REQUIRE(r["ok"] == true);
  CHECK(Json::parse(r["body"].get<std::string>())["accept-encoding"] == "gzip");
  CHECK(r["content_encoding"] == "gzip");
  CHECK(svc.stop() == 0);
}

TEST_CASE("decoding: decode false asks for nothing and passes the body through", "[decoding]") {
  const std::string text = test::sample_body(5000);
  const std::string gzip = test::encode(ContentCoding::gzip, text);
  Upstream up;
  up.canned("/canned/gzip", gzip, encoded_as("gzip"));
  Service svc;
  auto res = fetch(svc.port(), {{"urls", {up.url("/canned/gzip"), up.url("/headers")}},
                                {"decode", false},
                                {"include_body", true}});
  auto& r = res["results"];
  INFO(res.dump());
  CHECK(r[0]["ok"] == true);
  CHECK(r[0]["bytes"] == gzip.size());
  CHECK(r[0]["wire_bytes"] == gzip.size());
  CHECK(r[0]["content_encoding"] == "gzip");  // what the server applied, decoded or not
  CHECK_THAT(r[0]["body"].get<std::string>(), Catch::StartsWith("\x1f\xef\xbf\xbd"));  // 1f 8b, 8b as U+FFFD
  // Nothing offered, so cpp-httplib sent its JSON as it is.
  const auto seen = Json::parse(r[1]["body"].get<std::string>());
  CHECK_FALSE(seen.contains("accept-encoding"));
  CHECK(r[1]["content_encoding"].is_null());
  CHECK(r[1]["bytes"] == r[1]["wire_bytes"]);
  CHECK(svc.stop() == 0);
}

TEST_CASE("decoding: a coding the service does not know is passed through as it came", "[decoding]") {
  const std::string text = "not really LZW, but the service cannot tell";
  Upstream up;
  up.canned("/canned/compress", text, encoded_as("compress"));
  up.canned("/canned/gzip-compress", text, encoded_as("gzip, compress"));
  Service svc;
  auto res = fetch(svc.port(), {{"urls", {up.url("/canned/compress"), up.url("/canned/gzip-compress")}},
                                {"include_body", true}});
  for (int i : {0, 1}) {
    auto& r = res["results"][i];
    INFO(r.dump());
    CHECK(r["ok"] == true);
    CHECK(r["error"].is_null());
    CHECK(r["body"] == text);
    CHECK(r["bytes"] == text.size());
    CHECK(r["wire_bytes"] == text.size());
  }
  CHECK(res["results"][0]["content_encoding"] == "compress");
  CHECK(res["results"][1]["content_encoding"] == "gzip, compress");
  CHECK(svc.stop() == 0);
}

TEST_CASE("decoding: a corrupt or cut-short encoded body is protocol_error, with the status kept", "[decoding]") {
  const std::string text = test::sample_body(30000);
  const std::string gzip = test::encode(ContentCoding::gzip, text);
  // With its checksum, so that damage anywhere is seen (raw blocks have no other check).
  std::string corrupt = test::encode(ContentCoding::zstd, text, {.zstd_checksum = true});
  for (std::size_t i = 20; i < 60; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x33);
  Upstream up;
  up.canned("/canned/short", gzip.substr(0, gzip.size() - 8), encoded_as("gzip"));  // no trailer: Content-Length says whole
  up.canned("/canned/corrupt", corrupt, encoded_as("zstd"));
  up.canned("/canned/not-gzip", "plain text, labelled gzip", encoded_as("gzip"));
  Service svc;
  auto res = fetch(svc.port(), {{"urls", {up.url("/canned/short"), up.url("/canned/corrupt"), up.url("/canned/not-gzip")}},
                                {"include_body", true}});
  for (int i : {0, 1, 2}) {
    auto& r = res["results"][i];
    INFO(r.dump());
    CHECK(r["ok"] == false);
    CHECK(r["error"] == "protocol_error");
    CHECK(r["status"] == 200);
    CHECK(r["attempts"] == 1);
    CHECK(r["bytes"].get<std::size_t>() <= text.size());
  }
  // What decoded before the end is there: all but the last bytes.
  CHECK(res["results"][0]["bytes"].get<std::size_t>() > text.size() / 2);
  CHECK(svc.stop() == 0);
}

TEST_CASE("decoding: a 256 MiB gzip bomb ends too_large at max_body_bytes, fast, with memory bounded",
          "[decoding][memory]") {
  // 256 MiB of zeros in about 256 KiB, made without holding them.
  const std::string bomb = test::encode_zeros(ContentCoding::gzip, 256ull << 20, {.level = 9});
  REQUIRE(bomb.size() < 300 * 1024);
  const Json results = check_bomb(ContentCoding::gzip, bomb);
  // gzip's output limit comes before the end of its input: the rest is never read.
  for (int i : {0, 1}) CHECK(results[i]["wire_bytes"].get<std::size_t>() < bomb.size());
}

TEST_CASE("decoding: a 256 MiB brotli bomb ends too_large at max_body_bytes, fast, with memory bounded",
          "[decoding][memory]") {
  const std::string bomb = test::encode_zeros(ContentCoding::br, 256ull << 20, {.level = 5});
  REQUIRE(bomb.size() < 300 * 1024);
  check_bomb(ContentCoding::br, bomb);
}

TEST_CASE("decoding: a 256 MiB zstd bomb ends too_large at max_body_bytes, fast, with memory bounded",
          "[decoding][memory]") {
  // Streamed at level 3: a 2 MiB window, under the 8 MiB cap, so it decodes.
  const std::string bomb = test::encode_zeros(ContentCoding::zstd, 256ull << 20, {.level = 3});
  REQUIRE(bomb.size() < 300 * 1024);
  check_bomb(ContentCoding::zstd, bomb);
}

TEST_CASE("decoding: a zstd frame asking for a window over 8 MiB is protocol_error, not allocated",
          "[decoding][memory]") {
  // By hand (RFC 8878 3.1.1.1): magic, a descriptor without content size, a
  // window descriptor of exponent 21 (2^(10+21) = 2 GiB), and one last raw
  // block of 5 bytes.
  const std::string huge_window("\x28\xb5\x2f\xfd\x00\xa8\x29\x00\x00hello", 14);
  // The same frame asking for 2^20 (exponent 10): valid, it decodes.
  std::string small_window = huge_window;
  small_window[5] = '\x50';
  // The encoder's own, streamed with a 2^27 window (128 MiB, libzstd's default limit).
  test::StreamEncoder e(ContentCoding::zstd, {.level = 1, .zstd_window_log = 27});
  e.add(test::sample_body(64 * 1024));
  const std::string wide_window = e.finish();
  Upstream up;
  up.canned("/canned/huge-window", huge_window, encoded_as("zstd"));
  up.canned("/canned/wide-window", wide_window, encoded_as("zstd"));
  up.canned("/canned/small-window", small_window, encoded_as("zstd"));
  Service svc({.flags = {hostile_global_flag}});
  const auto warm = fetch(svc.port(), {{"urls", {up.url("/canned/small-window")}}, {"include_body", true}});
  REQUIRE(warm["results"][0]["ok"] == true);
  CHECK(warm["results"][0]["body"] == "hello");
  const long before = peak_rss_kib(svc.pid());
  REQUIRE(before > 0);

  const auto t0 = std::chrono::steady_clock::now();
  auto res = fetch(svc.port(), {{"urls", {up.url("/canned/huge-window"), up.url("/canned/wide-window")}}});
  const double took_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  for (int i : {0, 1}) {
    auto& r = res["results"][i];
    INFO(r.dump());
    CHECK(r["error"] == "protocol_error");  // a body the service will not decode
    CHECK(r["status"] == 200);
    CHECK(r["bytes"] == 0);
    CHECK(r["content_encoding"] == "zstd");
  }
  const long after = peak_rss_kib(svc.pid());
  std::printf("zstd windows 2^31 and 2^27: protocol_error in %.0f ms, VmHWM %ld -> %ld KiB\n", took_ms, before, after);
  CHECK(took_ms < 5000);
  INFO("VmHWM " << before << " KiB before, " << after << " KiB after");
  CHECK(after - before < 4 * 1024);  // neither window allocated (nor touched)
  check_recovered(svc, up, hostile_global);
  CHECK(svc.stop() == 0);
}
