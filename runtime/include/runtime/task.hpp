// Task<T>: a lazy coroutine, asyncio's `async def`.
//
// Calling a function that returns Task<T> builds the coroutine but runs none of
// its body; the body runs when the task is awaited (`co_await f()`), started
// with create_task, or handed to run(). Task<T> is Asio's awaitable<T>, so every
// Asio/Beast operation can be awaited inside it with `boost::asio::use_awaitable`.
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
