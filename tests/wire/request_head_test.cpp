// request_head writes, byte for byte, what Beast's serializer writes for the
// same request built as a message: formatting the head directly is no change
// an upstream could see.
#include "asyncfetch/wire/request_head.hpp"

#include <boost/beast/http.hpp>

#include <catch2/catch.hpp>

#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "beast_serialized.hpp"

#include "asyncfetch/wire/credentials.hpp"
#include "asyncfetch/wire/url.hpp"

namespace http = boost::beast::http;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

// The same request as a Beast message (set() of each field), serialized by
// Beast: the head and the body.
std::string beast_head(const std::string& method, const asyncfetch::Url& url, const Headers& headers,
                       bool strip_credentials, const std::string& body, const asyncfetch::ServiceFields& service) {
  http::request<http::string_body> req{http::string_to_verb(method), url.target, 11};
  req.set(http::field::host, url.host_header());
  req.set(http::field::user_agent, "asyncfetch/0.1");
  req.set(http::field::accept, "*/*");
  if (url.credentials && !strip_credentials)
    req.set(http::field::authorization, asyncfetch::basic_authorization(*url.credentials));
  if (!service.accept_encoding.empty()) req.set(http::field::accept_encoding, service.accept_encoding);
  if (!service.traceparent.empty()) req.set("traceparent", service.traceparent);
  for (const auto& [name, value] : headers) {
    if (strip_credentials) {
      std::string n = name;
      for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (n == "authorization" || n == "cookie") continue;
    }
    req.set(name, value);
  }
  req.keep_alive(true);
  req.body() = body;
  req.prepare_payload();
  if (method == "PATCH") req.content_length(body.size());  // announced even when empty
  http::request_serializer<http::string_body> sr{req};
  return beast_serialized(sr, false);
}

}  // namespace

TEST_CASE("request_head: byte for byte what Beast's serializer writes", "[request_head]") {
  const std::vector<std::string> urls = {"http://127.0.0.1:8080/bytes?n=1024", "https://example.com/",
                                         "http://[::1]/a/b?c=d", "http://h:80/x", "https://h:8443/%7Efoo",
                                         "http://user:pa%40ss@h:81/x", "https://token@example.com/"};
  // Client headers as the request parser hands them over (a JSON object: sorted by name).
  const std::vector<Headers> header_sets = {
      {},
      {{"X-Trace", "abc"}},
      {{"Accept", "text/html"}, {"User-Agent", "mine/1.0"}},
      {{"Authorization", "Bearer t"}, {"Cookie", "a=b"}, {"X-A", "1"}},
      {{"X-A", "1"}, {"accept", "x/y"}, {"x-a", "2"}},  // the later of two that differ in case wins
      {{"X-Pad", "  padded\t"}, {"X-Tab", "\tv"}, {"X-Empty", ""}},
      {{"AUTHORIZATION", "Basic x"}, {"cookie", "c"}, {"user-agent", "ua"}},
      {{"Content-Type", "application/json"}},
      // The client's own Accept-Encoding and traceparent win over the service's.
      {{"Accept-Encoding", "identity"}, {"X-A", "1"}},
      {{"TraceParent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}, {"accept-encoding", "br"}},
  };
  const std::vector<asyncfetch::ServiceFields> service_sets = {
      {},
      {"gzip, deflate, br, zstd", ""},
      {"gzip, deflate, br, zstd", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      {"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"},
  };
  for (const auto& text : urls) {
    auto url = asyncfetch::parse_url(text);
    REQUIRE(url);
    for (const char* method : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
      // The API sends no body with GET, HEAD or OPTIONS.
      const bool may_have_body = std::string_view(method) != "GET" && std::string_view(method) != "HEAD" &&
                                 std::string_view(method) != "OPTIONS";
      for (const std::string& body : {std::string(), std::string("{\"a\":1}"), std::string(70000, 'b')}) {
        if (!body.empty() && !may_have_body) continue;
        for (const auto& headers : header_sets) {
          for (bool strip : {false, true}) {
            for (const auto& service : service_sets) {
              INFO(method << " " << text << " headers " << headers.size() << " strip " << strip << " body "
                          << body.size() << " service " << service.accept_encoding << " " << service.traceparent);
              CHECK(asyncfetch::request_head(method, *url, headers, strip, body.size(), service) + body ==
                    beast_head(method, *url, headers, strip, body, service));
            }
          }
        }
      }
    }
  }
}

TEST_CASE("request_head: a URL's credentials as Basic, unless the headers set Authorization", "[request_head]") {
  auto url = asyncfetch::parse_url("http://Aladdin:open%20sesame@h/");
  REQUIRE(url);
  const auto head = asyncfetch::request_head("GET", *url, {}, false, 0);
  CHECK(head.find("\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n") != std::string::npos);
  CHECK(head.find("Aladdin") == std::string::npos);  // not in the target or Host either

  const auto own = asyncfetch::request_head("GET", *url, {{"authorization", "Bearer t"}}, false, 0);
  CHECK(own.find("Basic") == std::string::npos);
  CHECK(own.find("\r\nauthorization: Bearer t\r\n") != std::string::npos);

  const auto stripped = asyncfetch::request_head("GET", *url, {}, true, 0);
  CHECK(stripped.find("Authorization") == std::string::npos);
}

TEST_CASE("request_head: Content-Length announces the body", "[request_head]") {
  auto url = asyncfetch::parse_url("http://h/");
  REQUIRE(url);
  CHECK(asyncfetch::request_head("POST", *url, {}, false, 5).find("\r\nContent-Length: 5\r\n\r\n") !=
        std::string::npos);
  CHECK(asyncfetch::request_head("DELETE", *url, {}, false, 2).find("\r\nContent-Length: 2\r\n") !=
        std::string::npos);
  // No body: POST, PUT, OPTIONS and PATCH say so, the others not.
  CHECK(asyncfetch::request_head("PATCH", *url, {}, false, 0).find("\r\nContent-Length: 0\r\n") != std::string::npos);
  CHECK(asyncfetch::request_head("DELETE", *url, {}, false, 0).find("Content-Length") == std::string::npos);
  CHECK(asyncfetch::request_head("GET", *url, {}, false, 0).find("Content-Length") == std::string::npos);
  CHECK(asyncfetch::request_head("PUT", *url, {}, false, 0).find("\r\nContent-Length: 0\r\n") != std::string::npos);
}

TEST_CASE("request_head: the service's Accept-Encoding and traceparent, unless the client sets its own",
          "[request_head]") {
  const auto url = asyncfetch::parse_url("http://127.0.0.1:8080/a");
  REQUIRE(url);
  const asyncfetch::ServiceFields service{"gzip, deflate, br, zstd",
                                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"};
  const std::string ours = asyncfetch::request_head("GET", *url, {}, false, 0, service);
  CHECK_THAT(ours, Catch::Contains("\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n"));
  CHECK_THAT(ours, Catch::Contains("\r\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"));

  const Headers theirs = {{"accept-encoding", "identity"},
                          {"Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
  const std::string head = asyncfetch::request_head("GET", *url, theirs, false, 0, service);
  std::string lower = head;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CHECK(lower.find("accept-encoding:") == lower.rfind("accept-encoding:"));  // one of each
  CHECK(lower.find("traceparent:") == lower.rfind("traceparent:"));
  CHECK_THAT(head, Catch::Contains("\r\naccept-encoding: identity\r\n"));
  CHECK_THAT(head, Catch::Contains("\r\nTraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"));

  // No service fields: neither is sent.
  const std::string plain = asyncfetch::request_head("GET", *url, {}, false, 0);
  CHECK(plain.find("Accept-Encoding") == std::string::npos);
  CHECK(plain.find("traceparent") == std::string::npos);
}
