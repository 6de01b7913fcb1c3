// Task<T>, the runtime's executor type and value_t, for the runtime's own
// headers that runtime/task.hpp's Asio machinery (detail/asio_path.hpp)
// itself includes. Everything else includes runtime/task.hpp.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace runtime {

template <class T = void>
using Task = boost::asio::awaitable<T>;

using Executor = boost::asio::any_io_executor;

// What void results become where a value is needed (gather's tuple): asyncio's None.
struct None {
  friend bool operator==(None, None) = default;
};

namespace detail {
template <class T> struct value_of { using type = T; };
template <> struct value_of<void> { using type = None; };
}  // namespace detail

template <class T>
using value_t = typename detail::value_of<T>::type;

}  // namespace runtime
