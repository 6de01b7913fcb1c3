// request_head writes, byte for byte, what Beast's serializer writes for the
// same request built as a message: formatting the head directly is no change
// an upstream could see.
#include "asyncfetch/wire/request_head.hpp"

#include <boost/beast/http.hpp>

#include <catch2/catch.hpp>

#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "beast_serialized.hpp"

#include "asyncfetch/wire/url.hpp"

namespace http = boost::beast::http;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

// The same request as a Beast message (set() of each field), serialized by Beast.
std::string beast_head(const std::string& method, const asyncfetch::Url& url, const Headers& headers,
                       bool strip_credentials) {
  http::request<http::empty_body> req{http::string_to_verb(method), url.target, 11};
  req.set(http::field::host, url.host_header());
  req.set(http::field::user_agent, "asyncfetch/0.1");
  req.set(http::field::accept, "*/*");
  for (const auto& [name, value] : headers) {
    if (strip_credentials) {
      std::string n = name;
      for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (n == "authorization" || n == "cookie") continue;
    }
    req.set(name, value);
  }
  req.keep_alive(true);
  req.prepare_payload();
  http::request_serializer<http::empty_body> sr{req};
  return beast_serialized(sr, false);
}

}  // namespace

TEST_CASE("request_head: byte for byte what Beast's serializer writes", "[request_head]") {
  const std::vector<std::string> urls = {"http://127.0.0.1:8080/bytes?n=1024", "https://example.com/",
                                         "http://[::1]/a/b?c=d", "http://h:80/x", "https://h:8443/%7Efoo"};
  // Client headers as the request parser hands them over (a JSON object: sorted by name).
  const std::vector<Headers> header_sets = {
      {},
      {{"X-Trace", "abc"}},
      {{"Accept", "text/html"}, {"User-Agent", "mine/1.0"}},
      {{"Authorization", "Bearer t"}, {"Cookie", "a=b"}, {"X-A", "1"}},
      {{"X-A", "1"}, {"accept", "x/y"}, {"x-a", "2"}},  // the later of two that differ in case wins
      {{"X-Pad", "  padded\t"}, {"X-Tab", "\tv"}, {"X-Empty", ""}},
      {{"AUTHORIZATION", "Basic x"}, {"cookie", "c"}, {"user-agent", "ua"}},
  };
  for (const auto& text : urls) {
    auto url = asyncfetch::parse_url(text);
    REQUIRE(url);
    for (const char* method : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
      for (const auto& headers : header_sets) {
        for (bool strip : {false, true}) {
          INFO(method << " " << text << " headers " << headers.size() << " strip " << strip);
          CHECK(asyncfetch::request_head(method, *url, headers, strip) == beast_head(method, *url, headers, strip));
        }
      }
    }
  }
}
