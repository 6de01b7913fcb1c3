// The machinery under gather over a vector: its children run without a task
// state each.
//
// A TaskGroup child is a full task (a shared state that any number of handles
// can await, a place in the loop's registry and in the group's list), and in a
// gather of a thousand tasks those allocations and locks were half the cost.
// A gathered child needs less: a slot for its result, a cancellation signal,
// and a count of the children still running. The slots live in one block for
// the whole gather, each child's thread holds it alive to its very end (its
// cancellation state lives in the slot's signal), and the gathering coroutine
// parks until the count reaches zero.
//
// Semantics are TaskGroup's: the first failure (other than cancellation)
// cancels the others unless `keep_going`; the gather waits for every child;
// cancelling the gathering task cancels every child and still waits for them.
#pragma once

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/this_coro.hpp>

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/cancellation.hpp"
#include "runtime/detail/asio_path.hpp"
#include "runtime/detail/loop.hpp"
#include "runtime/detail/resume.hpp"
#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime::detail {

template <class T>
class GatherRun : public std::enable_shared_from_this<GatherRun<T>> {
 public:
  enum class Mode { fail_fast, keep_going };

  GatherRun(std::size_t n, Mode mode) : children_(new Child[n]), n_(n), remaining_(n), mode_(mode) {}

  // Starts every child, in order, at the loop's next turn. The caller must
  // join() right after: the children are not the loop's tasks, and nothing
  // else cancels them. (Nothing can throw in between: the cancellation check
  // on entering join() sees what the check on entering gather saw, since a
  // cancellation is emitted on the gathering task's own executor.)
  void start(std::vector<Task<T>> bodies) {
    bodies_ = std::move(bodies);
    Loop& loop = Loop::current();
    ex_ = loop.new_task_executor();
    if (!ex_.template target<IoExecutor>()) {
      // Several loop threads: each child on a strand of its own, as a task.
      // Every strand and every child's cancellation state exist before the
      // first child can run (and fail, and cancel the others).
      strands_.reset(new Executor[n_]);
      std::vector<TaskThread> threads;
      threads.reserve(n_);
      for (std::size_t i = 0; i < n_; ++i) {
        strands_[i] = i == 0 ? ex_ : loop.new_task_executor();
        threads.push_back(make_thread(i));
      }
      for (std::size_t i = 0; i < n_; ++i)
        post_to(strands_[i], [thread = std::move(threads[i])]() mutable { thread.launch(); });
      return;
    }
    // One loop thread: one posted handler starts them all. Each child's
    // thread is made just before it starts, so a child that ends at once
    // hands its memory on to the next. (A cancellation is posted after this
    // handler, so it finds every child made.)
    if (n_ == 0) return;
    post_to(ex_, [self = this->shared_from_this()] {
      for (std::size_t i = 0; i < self->n_; ++i) self->make_thread(i).launch();
    });
  }

  // Parks the gathering coroutine until every child has finished; cancelling
  // it cancels them all (it still waits). Rethrows the first failure in
  // fail_fast mode, the cancellation error if the gathering task was cancelled.
  Task<void> join() {
    auto cancel_children = OnCancel::call<&GatherRun::cancel_all>(this);
    auto all_done = [this] { return remaining_.load(std::memory_order_acquire) == 0; };
    Waiter w;
    co_await park_on(ParkHook<decltype(all_done)>{m_, joiner_, all_done, w, &cancel_children});
    w.check();
    if (first_error_) std::rethrow_exception(first_error_);
    auto cs = co_await boost::asio::this_coro::cancellation_state;
    if (cs.cancelled() != boost::asio::cancellation_type::none) throw_cancelled();
  }

  // After join(): child i's value, or its exception rethrown (moved out).
  value_t<T> take(std::size_t i) {
    Child& c = children_[i];
    if (c.error) std::rethrow_exception(std::exchange(c.error, nullptr));
    return std::move(*c.value);
  }
  std::exception_ptr take_error(std::size_t i) { return std::exchange(children_[i].error, nullptr); }

 private:
  struct Child {
    std::optional<value_t<T>> value;
    std::exception_ptr error;
    ThreadSignal signal;
    bool done = false;  // read and written on the child's executor only
  };

  Executor executor(std::size_t i) const { return strands_ ? strands_[i] : ex_; }

  TaskThread make_thread(std::size_t i) {
    Child& c = children_[i];
    return TaskThread(drive(this->shared_from_this(), i, std::move(bodies_[i])), executor(i), c.signal.slot(),
                      [this] { return std::shared_ptr<void>(this->shared_from_this()); });
  }

  // The bottom frame of child i's thread.
  static ThreadBody drive(std::shared_ptr<GatherRun> self, std::size_t i, Task<T> body) {
    Child& c = self->children_[i];
    c.signal.started();
    try {
      if constexpr (std::is_void_v<T>) {
        co_await std::move(body);
        c.value.emplace();
      } else {
        c.value.emplace(co_await std::move(body));
      }
    } catch (...) {
      c.error = std::current_exception();
    }
    // Past the catch block: the exception is referenced from the slot only,
    // so the gathering task can take it while this thread still runs.
    c.done = true;
    // Nothing below may co_await or read this_coro's state (see there).
    c.signal.release();
    self->child_done(c);
    if constexpr (!kAsioFastPath) co_await ThreadSignal::finished();
  }

  void child_done(Child& c) {
    if (c.error && mode_ == Mode::fail_fast && !is_cancellation(c.error)) {
      bool first;
      {
        std::lock_guard lk(m_);
        first = !first_error_;
        if (first) first_error_ = c.error;
      }
      if (first) cancel_all();
    }
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    WakeList woken;
    {
      // The gathering coroutine checks the count under the mutex before it
      // parks: either it saw zero, or it is queued by now.
      std::lock_guard lk(m_);
      woken = joiner_.take_all();
    }
    // This child is over: the gathering task continues right here when it
    // runs on this very loop thread.
    while (auto* w = woken.pop_front()) w->continue_here_or_post();
  }

  // Cancellation is emitted on each child's own executor, where it runs, and
  // only while it runs (a finished child's signal is left alone). On a
  // one-thread loop one handler reaches them all.
  void cancel_all() noexcept {
    auto self = this->shared_from_this();
    if (!strands_) {
      post_to(ex_, [self = std::move(self)] {
        for (std::size_t i = 0; i < self->n_; ++i) self->cancel_child(i);
      });
      return;
    }
    for (std::size_t i = 0; i < n_; ++i) post_to(strands_[i], [self, i] { self->cancel_child(i); });
  }
  void cancel_child(std::size_t i) {
    Child& c = children_[i];
    if (!c.done) c.signal.emit();
  }

  std::vector<Task<T>> bodies_;  // each moved into its child's thread as it starts
  std::unique_ptr<Child[]> children_;
  const std::size_t n_;
  Executor ex_;                          // the loop, or the first child's strand
  std::unique_ptr<Executor[]> strands_;  // with several loop threads: each child's
  std::atomic<std::size_t> remaining_;
  const Mode mode_;
  std::mutex m_;  // guards first_error_ (until join) and joiner_
  std::exception_ptr first_error_;
  WaitQueue joiner_;
};

}  // namespace runtime::detail
