#include "ndjson_stream.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <string>

#include "asyncfetch/wire/result_json.hpp"
#include "runtime/nothrow.hpp"

namespace asyncfetch {

namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

std::optional<Cut> outcome(const boost::system::error_code& ec) {
  if (!ec) return std::nullopt;
  return cut_by(ec);
}
}  // namespace

runtime::Task<std::optional<Cut>> NdjsonStream::begin() {
  http::response<http::empty_body> head{http::status::ok, version_};
  head.set(http::field::server, "asyncfetch");
  head.set(http::field::content_type, "application/x-ndjson");
  head.set("X-Request-Id", request_id_);
  head.keep_alive(keep_alive_);
  head.chunked(true);
  http::response_serializer<http::empty_body> sr{head};
  stream_.expires_after(timeout_);
  auto [ec, n] = co_await http::async_write_header(stream_, sr, runtime::nothrow);
  co_return outcome(ec);
}

runtime::Task<std::optional<Cut>> NdjsonStream::line(std::string_view text) {
  stream_.expires_after(timeout_);
  auto [ec, n] = co_await net::async_write(stream_, http::make_chunk(net::buffer(text)), runtime::nothrow);
  co_return outcome(ec);
}

runtime::Task<std::optional<Cut>> NdjsonStream::end(const FanOutSummary& summary) {
  std::string last = "{\"summary\":";
  append_summary(last, summary);
  last += "}\n";
  const auto cut = co_await line(last);
  if (cut) co_return cut;
  stream_.expires_after(timeout_);
  auto [ec, n] = co_await net::async_write(stream_, http::make_chunk_last(), runtime::nothrow);
  co_return outcome(ec);
}

}  // namespace asyncfetch
