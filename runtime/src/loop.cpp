#include "runtime/detail/loop.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace runtime::detail {

namespace {
thread_local Loop* current_loop = nullptr;

struct CurrentLoop {
  explicit CurrentLoop(Loop* l) : prev(std::exchange(current_loop, l)) {}
  ~CurrentLoop() { current_loop = prev; }
  Loop* prev;
};
}  // namespace

struct Loop::Impl {
  explicit Impl(std::size_t n) : threads(n == 0 ? 1 : n), ctx(static_cast<int>(threads)) {}
  std::size_t threads;
  boost::asio::io_context ctx;
  std::mutex m;
  TaskNode* head = nullptr;
};

Loop::Loop(std::size_t threads) : impl_(std::make_unique<Impl>(threads)) {}
Loop::~Loop() = default;

Loop& Loop::current() {
  if (!current_loop) throw std::logic_error("runtime: no event loop on this thread (call inside runtime::run)");
  return *current_loop;
}

Executor Loop::new_task_executor() {
  if (impl_->threads == 1) return impl_->ctx.get_executor();
  return boost::asio::make_strand(impl_->ctx);
}

void Loop::add(TaskNode* t) noexcept {
  std::lock_guard lk(impl_->m);
  t->prev = nullptr;
  t->next = impl_->head;
  if (impl_->head) impl_->head->prev = t;
  impl_->head = t;
}

void Loop::remove(TaskNode* t) noexcept {
  std::lock_guard lk(impl_->m);
  (t->prev ? t->prev->next : impl_->head) = t->next;
  if (t->next) t->next->prev = t->prev;
  t->prev = t->next = nullptr;
}

void Loop::cancel_all() noexcept {
  std::lock_guard lk(impl_->m);
  for (TaskNode* t = impl_->head; t; t = t->next) t->cancel();
}

void Loop::run(std::function<void()> start) {
  auto& ctx = impl_->ctx;
  boost::asio::post(ctx, [this, start = std::move(start)] {
    CurrentLoop here(this);
    start();
  });
  std::vector<std::thread> extra;
  for (std::size_t i = 1; i < impl_->threads; ++i) {
    extra.emplace_back([this] {
      CurrentLoop here(this);
      impl_->ctx.run();
    });
  }
  {
    CurrentLoop here(this);
    ctx.run();
  }
  for (auto& t : extra) t.join();
}

}  // namespace runtime::detail
