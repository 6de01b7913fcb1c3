// h2_request_headers: the HTTP/1.1 request head's fields in HTTP/2's form.
#include "asyncfetch/wire/h2_request_headers.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "asyncfetch/wire/request_head.hpp"
#include "asyncfetch/wire/url.hpp"

using asyncfetch::H2Field;
using asyncfetch::h2_request_headers;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

asyncfetch::Url url(const std::string& text) { return *asyncfetch::parse_url(text); }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The fields of request_head()'s text, names lower-cased, Host left out.
std::vector<H2Field> http1_fields(const std::string& head) {
  std::vector<H2Field> out;
  std::istringstream in(head);
  std::string line;
  std::getline(in, line);  // the request line
  while (std::getline(in, line) && line != "\r") {
    line.pop_back();  // '\r'
    const auto colon = line.find(':');
    H2Field f{lower(line.substr(0, colon)), line.substr(colon + 2)};
    if (f.name != "host") out.push_back(std::move(f));
  }
  return out;
}

std::vector<H2Field> regular(const std::vector<H2Field>& fields) {
  std::vector<H2Field> out;
  for (const auto& f : fields)
    if (f.name[0] != ':') out.push_back(f);
  return out;
}

std::string value_of(const std::vector<H2Field>& fields, const std::string& name) {
  for (const auto& f : fields)
    if (f.name == name) return f.value;
  return "<none>";
}

}  // namespace

TEST_CASE("h2_request_headers: the pseudo-header fields come first, in order", "[h2_request_headers]") {
  const auto f = h2_request_headers("GET", url("https://example.com:8443/a/b?c=d"), {}, false, 0);
  REQUIRE(f.size() >= 4);
  CHECK(f[0] == H2Field{":method", "GET"});
  CHECK(f[1] == H2Field{":scheme", "https"});
  CHECK(f[2] == H2Field{":authority", "example.com:8443"});
  CHECK(f[3] == H2Field{":path", "/a/b?c=d"});
  CHECK(regular(f) == std::vector<H2Field>{{"user-agent", "asyncfetch/0.1"}, {"accept", "*/*"}});
  // The default port is not part of :authority; an IPv6 literal is in brackets.
  CHECK(h2_request_headers("GET", url("https://h/"), {}, false, 0)[2].value == "h");
  CHECK(h2_request_headers("HEAD", url("https://[::1]:9/"), {}, false, 0)[2].value == "[::1]:9");
}

TEST_CASE("h2_request_headers: a client's Host becomes :authority and is not sent as a field",
          "[h2_request_headers]") {
  const auto f = h2_request_headers("GET", url("https://127.0.0.1:8443/"),
                                    {{"Host", " api.example "}, {"X-A", "1"}, {"host", "later.example"}}, false, 0);
  CHECK(f[2] == H2Field{":authority", "later.example"});
  CHECK(value_of(f, "host") == "<none>");
  CHECK(value_of(f, "x-a") == "1");
}

TEST_CASE("h2_request_headers: connection-specific fields are dropped, TE only kept as trailers",
          "[h2_request_headers]") {
  const Headers h = {{"Connection", "close"},       {"Keep-Alive", "timeout=5"}, {"Proxy-Connection", "x"},
                     {"Transfer-Encoding", "chunked"}, {"Upgrade", "websocket"},   {"HTTP2-Settings", "AAA"},
                     {"TE", "gzip"},                {"X-Kept", "yes"}};
  const auto f = h2_request_headers("GET", url("https://h/"), h, false, 0);
  CHECK(regular(f) == std::vector<H2Field>{{"user-agent", "asyncfetch/0.1"}, {"accept", "*/*"}, {"x-kept", "yes"}});
  CHECK(value_of(h2_request_headers("GET", url("https://h/"), {{"TE", "Trailers"}}, false, 0), "te") == "Trailers");
}

TEST_CASE("h2_request_headers: names in lower case, values trimmed, credentials stripped on request",
          "[h2_request_headers]") {
  const Headers h = {{"Authorization", "Bearer t"}, {"Cookie", "a=b"}, {"X-Pad", "  v\t"}, {"User-Agent", "Mine/1"}};
  const auto kept = h2_request_headers("POST", url("https://h/p"), h, false, 0);
  CHECK(regular(kept) == std::vector<H2Field>{{"accept", "*/*"},
                                              {"authorization", "Bearer t"},
                                              {"cookie", "a=b"},
                                              {"x-pad", "v"},
                                              {"user-agent", "Mine/1"},
                                              {"content-length", "0"}});
  const auto stripped = h2_request_headers("POST", url("https://h/p"), h, true, 0);
  CHECK(value_of(stripped, "authorization") == "<none>");
  CHECK(value_of(stripped, "cookie") == "<none>");
  CHECK(value_of(stripped, "x-pad") == "v");
}

TEST_CASE("h2_request_headers: the same fields as request_head(), but for Host and the forbidden ones",
          "[h2_request_headers]") {
  const std::vector<std::string> methods = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
  const std::vector<Headers> header_sets = {
      {},
      {{"X-Trace", "abc"}},
      {{"Accept", "text/html"}, {"User-Agent", "mine/1.0"}},
      {{"Authorization", "Bearer t"}, {"Cookie", "a=b"}, {"X-A", "1"}},
      {{"X-A", "1"}, {"accept", "x/y"}, {"x-a", "2"}},  // the later of two that differ in case wins
      {{"X-Pad", "  padded\t"}, {"X-Tab", "\tv"}, {"X-Empty", ""}},
      {{"AUTHORIZATION", "Basic x"}, {"cookie", "c"}, {"user-agent", "ua"}, {"Host", "other"}},
      // The client's own Accept-Encoding and traceparent win over the service's.
      {{"Accept-Encoding", "identity"}, {"TraceParent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}},
  };
  const std::vector<asyncfetch::ServiceFields> service_sets = {
      {},
      {"gzip, deflate, br, zstd", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
  };
  for (const auto& m : methods)
    for (const auto& h : header_sets)
      for (const char* target : {"https://example.com/x", "https://u:p%40ss@example.com/x", "https://tok@h/"})
        for (std::size_t body : {0, 5})
          for (bool strip : {false, true})
            for (const auto& service : service_sets) {
              INFO(m << " " << target << " with " << h.size() << " fields, body " << body << ", strip " << strip
                     << ", service fields " << service.accept_encoding.size());
              const auto u = url(target);
              CHECK(regular(h2_request_headers(m, u, h, strip, body, service)) ==
                    http1_fields(asyncfetch::request_head(m, u, h, strip, body, service)));
            }
}
