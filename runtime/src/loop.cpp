#include "runtime/detail/loop.hpp"
#include "runtime/detail/loop_binding.hpp"

#include "runtime/detail/asio_path.hpp"

#include "runtime/cancellation.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
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
  explicit Impl(std::size_t n)
      : threads(n == 0 ? 1 : n),
        ctx(static_cast<int>(threads)) {
#if RUNTIME_ASIO_FAST_PATH
    queue.attach(ctx);
#endif
  }

  // The registry's lock: only needed when several threads share the loop.
  std::unique_lock<std::mutex> lock_registry() {
    return threads > 1 ? std::unique_lock(m) : std::unique_lock<std::mutex>();
  }

  std::size_t threads;
#if RUNTIME_ASIO_FAST_PATH
  LoopQueue queue;  // made before the io_context, destroyed after it
#endif
  boost::asio::io_context ctx;
  std::mutex m;
  TaskList<&TaskNode::in_loop> tasks;
  TaskAlias* aliases = nullptr;
  std::uint64_t last_number = 0;
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

Loop* Loop::running() noexcept { return current_loop; }

bool Loop::one_thread() const noexcept { return impl_->threads == 1; }

bool Loop::is_current() const noexcept { return current_loop == this; }

Loop* one_thread_loop_here() noexcept { return current_loop && current_loop->one_thread() ? current_loop : nullptr; }

bool runs_here(const Loop* loop) noexcept { return current_loop == loop; }

void throw_other_loop(const char* what) {
  throw std::logic_error(std::string("runtime: ") + what + " of a one-thread loop used outside that loop");
}

boost::asio::io_context& Loop::context() noexcept { return impl_->ctx; }

#if RUNTIME_ASIO_FAST_PATH
void Loop::post(LoopOp& op) noexcept { impl_->queue.post(op, /*local=*/impl_->threads == 1 && current_loop == this); }
#endif

void Loop::add(TaskNode* t) noexcept {
  auto lk = impl_->lock_registry();
  t->set_number(++impl_->last_number);
  impl_->tasks.push_front(t);
}

void Loop::remove(TaskNode* t) noexcept {
  auto lk = impl_->lock_registry();
  impl_->tasks.remove(t);
}

void Loop::cancel_all() noexcept {
  auto lk = impl_->lock_registry();
  impl_->tasks.for_each([](TaskNode& t) { t.cancel(); });
}

std::vector<StateRef<TaskNode>> Loop::live_tasks() {
  std::vector<StateRef<TaskNode>> out;
  auto lk = impl_->lock_registry();
  // Linked means alive: a task unlinks itself before its thread lets go of it.
  impl_->tasks.for_each([&](TaskNode& t) { out.push_back(StateRef<TaskNode>::share(&t)); });
  return out;
}

StateRef<TaskNode> Loop::find(const boost::asio::cancellation_state& cs) {
  auto key = cs.slot();
  StateRef<TaskNode> found;
  auto lk = impl_->lock_registry();
  // An alias's owner may be an alias itself (a timeout scope in a timeout
  // scope's body): follow the chain to the task.
  while (key.is_connected()) {  // no state: not a task's thread
    impl_->tasks.for_each([&](TaskNode& t) {
      if (!found && t.thread_state().slot() == key) found = StateRef<TaskNode>::share(&t);
    });
    if (found) break;
    const TaskAlias* a = impl_->aliases;
    while (a && a->thread != key) a = a->next;
    if (!a) break;
    key = a->owner.slot();
  }
  return found;
}

void Loop::add_alias(TaskAlias* a) noexcept {
  auto lk = impl_->lock_registry();
  a->prev = nullptr;
  a->next = impl_->aliases;
  if (a->next) a->next->prev = a;
  impl_->aliases = a;
}

void Loop::remove_alias(TaskAlias* a) noexcept {
  auto lk = impl_->lock_registry();
  (a->prev ? a->prev->next : impl_->aliases) = a->next;
  if (a->next) a->next->prev = a->prev;
  a->prev = a->next = nullptr;
}

void throw_cancelled_of(const boost::asio::cancellation_state& cs) {
  CancelMessage message;
  if (current_loop) {
    if (auto t = current_loop->find(cs)) message = t->cancel_message();
  }
  throw CancelledError(message ? *message : std::string());
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
