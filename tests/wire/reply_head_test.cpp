// reply_head writes what Beast's serializer writes for the same reply, so
// formatting the head directly changes no byte on the wire.
#include "asyncfetch/wire/reply_head.hpp"

#include <boost/beast/http.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "beast_serialized.hpp"

namespace http = boost::beast::http;
using Fields = std::vector<std::pair<http::field, std::string>>;

namespace {

// The same reply as a Beast message (keep_alive(), prepare_payload()), serialized by Beast.
std::string beast_head(http::status s, unsigned version, const char* content_type, const Fields& fields,
                       bool keep_alive, const std::string& body, const std::string& request_id = "") {
  http::response<http::string_body> res{s, version};
  res.set(http::field::server, "asyncfetch");
  res.set(http::field::content_type, content_type);
  for (const auto& [f, v] : fields) res.set(f, v);
  if (!request_id.empty()) res.set("X-Request-Id", request_id);
  res.body() = body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  http::response_serializer<http::string_body> sr{res};
  sr.split(true);
  return beast_serialized(sr, true);
}

}  // namespace

TEST_CASE("reply_head: byte for byte what Beast's serializer writes", "[reply_head]") {
  const std::string body = "{\"results\":[]}\n";
  const Fields none;
  const Fields retry = {{http::field::retry_after, "1"}};
  const Fields allow = {{http::field::allow, "GET, HEAD"}};
  const Fields auth = {{http::field::www_authenticate, "Bearer"}};
  for (auto status : {http::status::ok, http::status::bad_request, http::status::unauthorized,
                      http::status::not_found, http::status::method_not_allowed, http::status::payload_too_large,
                      http::status::too_many_requests, http::status::request_header_fields_too_large,
                      http::status::internal_server_error, http::status::service_unavailable}) {
    for (unsigned version : {10u, 11u}) {
      for (bool keep_alive : {false, true}) {
        for (const Fields* fields : {&none, &retry, &allow, &auth}) {
          for (const char* type : {"application/json", "text/plain; version=0.0.4; charset=utf-8"}) {
            for (const char* id : {"", "4bf92f3577b34da6a3ce929d0e0e4736", "client-id.1"}) {
              INFO("status " << static_cast<int>(status) << " HTTP/" << version << " keep_alive " << keep_alive
                             << " fields " << fields->size() << " " << type << " request id " << id);
              CHECK(asyncfetch::reply_head(status, version, type, *fields, keep_alive, body.size(), id) ==
                    beast_head(status, version, type, *fields, keep_alive, body, id));
            }
          }
        }
      }
    }
  }
}

TEST_CASE("reply_head: an empty and a large body", "[reply_head]") {
  for (const std::string body : {"", "x"}) {
    CHECK(asyncfetch::reply_head(http::status::ok, 11, "application/json", {}, true, body.size()) ==
          beast_head(http::status::ok, 11, "application/json", {}, true, body));
  }
  CHECK(asyncfetch::reply_head(http::status::ok, 11, "application/json", {}, true, 123456789012) ==
        "HTTP/1.1 200 OK\r\nServer: asyncfetch\r\nContent-Type: application/json\r\n"
        "Content-Length: 123456789012\r\n\r\n");
}
