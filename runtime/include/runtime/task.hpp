// Task<T>: a lazy coroutine, asyncio's `async def`.
//
// Calling a function that returns Task<T> builds the coroutine but runs none of
// its body; the body runs when the task is awaited (`co_await f()`), started
// with create_task, or handed to run(). Task<T> is Asio's awaitable<T>, so every
// Asio/Beast operation can be awaited inside it with `boost::asio::use_awaitable`.
#pragma once

#include "runtime/detail/task_type.hpp"

// Where Task frames come from on the Asio fast path (its promise type): seen
// wherever a Task coroutine is defined, so every definition agrees.
#include "runtime/detail/asio_path.hpp"
