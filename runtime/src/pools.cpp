#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <thread>

#include "runtime/to_thread.hpp"

namespace runtime::detail {

namespace {
std::size_t cores() { return std::max(1u, std::thread::hardware_concurrency()); }
}  // namespace

// Created on first use, joined at program exit.
Executor blocking_pool() {
  static boost::asio::thread_pool pool(std::min<std::size_t>(32, cores() + 4));
  return pool.get_executor();
}

Executor cpu_pool() {
  static boost::asio::thread_pool pool(cores());
  return pool.get_executor();
}

}  // namespace runtime::detail
