// nothrow: the completion token for awaiting an Asio operation in a task
// without an exception when it fails: the result is a tuple, the
// error_code first.
//
//   auto [ec, n] = co_await sock.async_read_some(buf, runtime::nothrow);
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace runtime {

inline constexpr auto nothrow = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace runtime
