// The inbound side's limits and edges: slow clients, oversized headers,
// idle keep-alive connections at shutdown, pipelining, HEAD fetches.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <thread>

#include "client.hpp"
#include "service_process.hpp"
#include "upstream.hpp"

using namespace it;

TEST_CASE("a slow client is cut after idle_timeout_ms", "[limits]") {
  Service svc({.flags = {"--idle_timeout_ms=300"}});
  RawConn c(svc.port());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // never finishes its headers
  bool closed = false;
  const auto t0 = std::chrono::steady_clock::now();
  auto got = c.read_until_close(std::chrono::seconds(3), closed);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  CHECK(closed);
  // The service means to answer 408 here, but Beast's tcp_stream closes the
  // socket when its timer fires, so nothing can be written: cut silently.
  // (Reported; the contract asks only that slow clients be cut.)
  CHECK((got.empty() || got.rfind("HTTP/1.1 408", 0) == 0));
  CHECK(get(svc.port(), "/healthz").status == 200);
  CHECK(svc.stop() == 0);
}

TEST_CASE("headers over max_header_bytes get 431 and the connection closed", "[limits]") {
  Service svc({.flags = {"--max_header_bytes=2048"}});
  RawConn c(svc.port());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  bool closed = false;
  auto got = c.read_until_close(std::chrono::seconds(3), closed);
  CHECK(closed);
  CHECK_THAT(got, Catch::StartsWith("HTTP/1.1 431"));
  CHECK(get(svc.port(), "/healthz").status == 200);
  CHECK(svc.stop() == 0);
}

TEST_CASE("pipelined requests on one keep-alive connection are all answered, in order", "[limits]") {
  Upstream up;
  Service svc;
  RawConn c(svc.port());
  const std::string body = Json{{"urls", {up.url("/delay?ms=100")}}}.dump();
  c.send("POST /fetch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  auto got = c.read_until("{\"status\":\"ok\"}", std::chrono::seconds(5));
  auto first = got.find("HTTP/1.1 200");
  auto second = got.find("HTTP/1.1 200", first + 1);
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  CHECK(got.find("\"results\"") < second);  // the /fetch answer first
  CHECK(got.find("{\"status\":\"ok\"}") > second);
  CHECK(svc.stop() == 0);
}

TEST_CASE("SIGTERM does not wait for idle keep-alive client connections", "[limits][lifecycle]") {
  Service svc;  // idle_timeout_ms 30 s by default
  RawConn c(svc.port());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE_THAT(c.read_until("{\"status\":\"ok\"}", std::chrono::seconds(3)), Catch::Contains("200"));
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(svc.stop(std::chrono::seconds(5)) == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  bool closed = false;
  c.read_until_close(std::chrono::seconds(1), closed);
  CHECK(closed);
}

TEST_CASE("HEAD and POST fetches", "[limits]") {
  Upstream up;
  Service svc;
  auto res = fetch(svc.port(), {{"urls", {up.url("/bytes?n=100")}}, {"method", "HEAD"}, {"timeout_ms", 10000}});
  CHECK(res["results"][0]["ok"] == true);
  CHECK(res["results"][0]["status"] == 200);
  CHECK(res["results"][0]["bytes"] == 0);
  // No wait for a body that never comes (that wait would last timeout_ms).
  CHECK(res["results"][0]["elapsed_ms"].get<double>() < 5000);
  // POST to a GET-only endpoint: the upstream's 4xx is the answer.
  res = fetch(svc.port(), {{"urls", {up.url("/bytes?n=1")}}, {"method", "POST"}, {"timeout_ms", 3000}});
  CHECK(res["results"][0]["status"].get<int>() >= 400);
  CHECK(res["results"][0]["error"].is_null());
  CHECK(svc.stop() == 0);
}

TEST_CASE("a /fetch body is read whether it comes with its header, after it, or after 100 Continue", "[limits]") {
  Upstream up;
  Service svc;
  const std::string body = Json{{"urls", {up.url("/bytes?n=7")}}}.dump();
  const std::string head = "POST /fetch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n";
  auto answered = [](const std::string& got) {
    return got.rfind("HTTP/1.1 200", 0) == 0 && got.find("\"bytes\":7") != std::string::npos;
  };
  {
    RawConn c(svc.port());
    c.send(head + "\r\n" + body);  // one segment: parsed from what the header read brought
    CHECK(answered(c.read_until("\"summary\"", std::chrono::seconds(5))));
  }
  {
    RawConn c(svc.port());
    c.send(head + "\r\n" + body.substr(0, 5));  // part of the body now, the rest later
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    c.send(body.substr(5));
    CHECK(answered(c.read_until("\"summary\"", std::chrono::seconds(5))));
  }
  {
    RawConn c(svc.port());
    c.send(head + "Expect: 100-continue\r\n\r\n");
    CHECK(c.read_until("\r\n\r\n", std::chrono::seconds(5)).rfind("HTTP/1.1 100", 0) == 0);
    c.send(body);
    CHECK(answered(c.read_until("\"summary\"", std::chrono::seconds(5))));
  }
  CHECK(svc.stop() == 0);
}
