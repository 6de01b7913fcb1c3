// The machinery under gather over a vector, race, as_completed and the timeout
// scope: child tasks that run without a task state each.
//
// A TaskGroup child is a full task (a shared state that any number of handles
// can await, a place in the loop's registry and in the group's list), and in a
// gather of a thousand tasks those allocations and locks were half the cost.
// These children need less: a slot for the result, a cancellation signal, and
// a count of the children still running. The slots live in one block for the
// whole run, each child's thread holds it alive to its very end (its
// cancellation state lives in the slot's signal), and the task that started
// them parks until the count reaches zero (join) or, for as_completed, until
// the next one finishes (next).
//
// What a child's end does to the others is the Mode: gather's fail_fast (the
// first failure other than cancellation cancels the others), keep_going, or
// race's first_wins (the first to finish, however it ends, cancels the
// others). join waits for every child; cancelling the task in join or next
// cancels every child and still waits for them all.
#pragma once

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/this_coro.hpp>

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/cancellation.hpp"
#include "runtime/detail/asio_path.hpp"
#include "runtime/detail/direct_wait.hpp"
#include "runtime/detail/loop.hpp"
#include "runtime/detail/optional_mutex.hpp"
#include "runtime/detail/resume.hpp"
#include "runtime/detail/wait_queue.hpp"
#include "runtime/task.hpp"

namespace runtime::detail {

template <class T>
class ChildRun : public std::enable_shared_from_this<ChildRun<T>> {
 public:
  enum class Mode { fail_fast, keep_going, first_wins };

  // `in_completion_order`: the order in which the children finish is kept for
  // next() (as_completed), and the task waiting in next() is woken by each.
  ChildRun(std::size_t n, Mode mode, bool in_completion_order = false)
      : children_(new Child[n]),
        n_(n),
        remaining_(n),
        mode_(mode),
        order_(in_completion_order ? new std::size_t[n] : nullptr) {}

  // Starts every child, in order, at the loop's next turn. The caller must
  // join() (or, in completion order, next() until none is left) right after,
  // or cancel() them: the children are not the loop's tasks, and nothing else
  // cancels them. (Nothing can throw in between: the cancellation check on
  // entering join() sees what the check on entering its caller saw, since a
  // cancellation is emitted on the waiting task's own executor.)
  void start(std::vector<Task<T>> bodies) {
    bodies_ = std::move(bodies);
    make_body_ = [](ChildRun& run, std::size_t i) {
      return drive(run.shared_from_this(), i, std::move(run.bodies_[i]), Put{});
    };
    start_all();
  }

 protected:
  // How child i's bottom frame is made when it starts, by a derived class
  // that holds bodies of its own (the variadic race's): from its i-th body,
  // `put` storing the value into the slot (put(slot, value), or put(slot)
  // for void).
  using MakeBody = ThreadBody (*)(ChildRun&, std::size_t);
  void start_with(MakeBody make_body) {
    make_body_ = make_body;
    start_all();
  }
  template <class A, class P>
  static ThreadBody make_body(ChildRun& run, std::size_t i, A& body, P put) {
    // A Task moves into the child's frame (and goes with it, even unstarted);
    // a Wait, a description of the wait, is awaited where it is. (Moved, GCC
    // 12 sees its waiter destroyed uninitialised: -Wmaybe-uninitialized.)
    if constexpr (std::is_same_v<A, Task<await_result_t<A>>>) {
      return drive(run.shared_from_this(), i, std::move(body), put);
    } else {
      return drive<A&>(run.shared_from_this(), i, body, put);
    }
  }
  using Slot = std::optional<value_t<T>>;

 private:
  void start_all() {
    Loop& loop = Loop::current();
    ex_ = loop.new_task_executor();
    if (ex_.template target<IoExecutor>()) {
      on_one_thread(loop);
    } else {
      // Several loop threads: each child on a strand of its own, as a task.
      // Every strand and every child's cancellation state exist before the
      // first child can run (and fail, and cancel the others).
      strands_.reset(new Executor[n_]);
      std::vector<TaskThread> threads;
      threads.reserve(n_);
      for (std::size_t i = 0; i < n_; ++i) {
        strands_[i] = i == 0 ? ex_ : loop.new_task_executor();
        threads.push_back(make_thread(i, make_body_(*this, i)));
      }
      for (std::size_t i = 0; i < n_; ++i)
        post_to(strands_[i], [thread = std::move(threads[i])]() mutable { thread.launch(); });
      // A child may have ended, and cancelled the others, before the last
      // launches were queued: that cancellation is queued only now, after
      // every launch on its strand, so every child starts.
      bool cancel_now;
      {
        std::lock_guard lk(m_);
        launched_ = true;
        cancel_now = cancel_held_;
      }
      if (cancel_now) cancel();
      return;
    }
    // One loop thread: one posted handler starts them all. Each child's
    // thread is made just before it starts, so a child that ends at once
    // hands its memory on to the next. (A cancellation is posted after this
    // handler, so it finds every child made.) In a race, once one child has
    // finished, those after it are not started: they never run. (With
    // several threads each child's launch is queued on its strand before any
    // cancellation, and every child starts.)
    if (n_ == 0) return;
    post_to(ex_, [self = this->shared_from_this()] {
      for (std::size_t i = 0; i < self->n_; ++i) {
        if (self->lost_before_start()) {
          static_cast<void>(self->make_body_(*self, i));  // made and dropped: its body goes now, unstarted
          self->children_[i].done = true;
          self->child_done(i);
        } else {
          self->make_thread(i, self->make_body_(*self, i)).launch();
        }
      }
    });
  }

 public:
  // Starts the one child (n == 1) now, on `ex`: the executor the caller runs
  // on, and this thread runs it. The child runs until its first wait (or its
  // end) before this returns, as if the caller had awaited it (a timeout scope's
  // body). While it runs it is `alias`ed to the caller's thread (`alias->owner`
  // set), which must outlive it.
  void start_here(Task<T> body, const Executor& ex, TaskAlias& alias) {
    ex_ = ex;
    if (ex_.template target<IoExecutor>()) on_one_thread(Loop::current());
    alias_ = &alias;
    make_thread(0, drive(this->shared_from_this(), 0, std::move(body), Put{})).launch();
  }

  // Parks the calling coroutine until every child has finished; cancelling
  // it cancels them all (it still waits). Rethrows the first failure in
  // fail_fast mode, the cancellation error if the waiting task was cancelled.
  Task<void> join() {
    auto cancel_children = OnCancel::call<&ChildRun::cancel>(this);
    auto all_done = [this] { return remaining_.load(std::memory_order_acquire) == 0; };
    Waiter w;
    co_await park_on(ParkHook<decltype(all_done), OptionalMutex>{m_, joiner_, all_done, w, &cancel_children});
    w.check();
    if (first_error_) std::rethrow_exception(first_error_);
    auto cs = co_await boost::asio::this_coro::cancellation_state;
    if (cs.cancelled() != boost::asio::cancellation_type::none) throw_cancelled_of(cs);
  }

  // Cancels every child still running (it may already be finishing). Only
  // posts: it may be called from anywhere.
  void cancel() noexcept {
    auto self = this->shared_from_this();
    // Cancellation is emitted on each child's own executor, where it runs,
    // and only while it runs (a finished child's signal is left alone). On a
    // one-thread loop one handler reaches them all.
    if (!strands_) {
      post_to(ex_, [self = std::move(self)] {
        for (std::size_t i = 0; i < self->n_; ++i) self->cancel_child(i);
      });
      return;
    }
    {
      std::lock_guard lk(m_);
      if (!launched_) {
        cancel_held_ = true;  // start() queues it after the launches
        return;
      }
    }
    for (std::size_t i = 0; i < n_; ++i) post_to(strands_[i], [self, i] { self->cancel_child(i); });
  }

  // Before a wait that may move to another task (as_completed's next()): on a
  // one-thread loop the children and their consumer share that loop's thread
  // and no lock, so the consumer must be on that loop.
  void check_consumed_here() const {
    if (one_loop_ && !one_loop_->is_current()) [[unlikely]] {
      throw std::logic_error("runtime: as_completed of a one-thread loop consumed outside that loop");
    }
  }

  // True once every child has finished.
  bool done() const noexcept { return remaining_.load(std::memory_order_acquire) == 0; }

  // first_wins, after join(): the child that finished first.
  std::size_t winner() const noexcept { return winner_; }

  // After child i has finished: its value, or its exception rethrown (moved out).
  value_t<T> take(std::size_t i) {
    Child& c = children_[i];
    if (c.error) std::rethrow_exception(std::exchange(c.error, nullptr));
    return std::move(*c.value);
  }
  std::exception_ptr take_error(std::size_t i) { return std::exchange(children_[i].error, nullptr); }
  // Drops what child i left (a race's loser): a late value, such as a lock
  // guard, goes now, not when the last of the children's threads lets go.
  void drop(std::size_t i) noexcept {
    children_[i].value.reset();
    children_[i].error = nullptr;
  }

  // In completion order: next() is a wait (direct_wait.hpp) whose Op calls
  // these. One task consumes them.
  //
  // Whether next() can go on now: a child has finished that was not handed
  // out, all have been, or (draining) all have finished.
  bool next_ready() {
    std::lock_guard lk(m_);
    return next_ready_locked();
  }
  // `on_cancel` (it must outlive the co_await) is to call cancel_next().
  auto next_hook(Waiter& w, OnCancel* on_cancel) {
    auto ready = [this] { return next_ready_locked(); };  // under m_
    return ParkHook<decltype(ready), OptionalMutex>{m_, joiner_, ready, w, on_cancel};
  }
  // The task waiting in next() is cancelled: every child is cancelled, and it
  // is woken once all have finished, to throw the cancellation. (If a child's
  // end has woken it already, it takes that result; its next wait throws.)
  void cancel_next() noexcept {
    {
      std::lock_guard lk(m_);
      if (!joiner_.empty()) {
        drain_ = cancelled_in_next_ = true;
        cancelled_next_by_ = TaskNode::delivering();
      }
    }
    cancel();
  }
  // After next()'s wait: the index of the next child to have finished, or
  // none when every one has been handed out (or shut down).
  std::optional<std::size_t> take_next() {
    std::lock_guard lk(m_);
    if (cancelled_in_next_) throw_wait_error(boost::asio::error::operation_aborted, cancelled_next_by_);
    if (read_ == n_) return std::nullopt;
    return order_[read_++];
  }
  // Cancels every child and waits for all to finish; what they leave is
  // dropped and next() hands out nothing more.
  Task<void> shutdown() {
    {
      std::lock_guard lk(m_);
      drain_ = true;
    }
    cancel();
    co_await join();
    std::lock_guard lk(m_);
    for (; read_ < n_; ++read_) drop(order_[read_]);
  }

 private:
  struct Child {
    std::optional<value_t<T>> value;
    std::exception_ptr error;
    ThreadSignal signal;
    bool done = false;  // read and written on the child's executor only
  };

  Executor executor(std::size_t i) const { return strands_ ? strands_[i] : ex_; }

  TaskThread make_thread(std::size_t i, ThreadBody body) {
    Child& c = children_[i];
    return TaskThread(std::move(body), executor(i), c.signal.slot(),
                      [this] { return std::shared_ptr<void>(this->shared_from_this()); });
  }

  // Stores a Task<T>'s value.
  struct Put {
    template <class... V>
    void operator()(Slot& slot, V&&... v) const {
      slot.emplace(std::forward<V>(v)...);
    }
  };

  // On one loop thread, a race's child after the one that has finished in
  // the same turn never runs (as a task cancelled before it starts).
  bool lost_before_start() const noexcept {
    return mode_ == Mode::first_wins && decided_.load(std::memory_order_relaxed);
  }

  // The bottom frame of child i's thread: it awaits `body` (a Task, or a
  // primitive's Wait) and `put`s its value into the slot.
  template <class A, class P>
  static ThreadBody drive(std::shared_ptr<ChildRun> self, std::size_t i, A body, P put) {
    Child& c = self->children_[i];
    c.signal.started(nullptr);  // not a task: no cancel message
    if (TaskAlias* alias = self->alias_) {
      boost::asio::cancellation_state own = co_await boost::asio::this_coro::cancellation_state;
      alias->thread = own.slot();
      Loop::current().add_alias(alias);
    }
    try {
      using R = await_result_t<std::remove_cvref_t<A>>;
      if constexpr (std::is_same_v<A, Task<R>>) {
        // What the body throws is taken from its frame, not rethrown here.
        c.error = co_await outcome_of(std::move(body), [&c, put](auto&&... v) {
          put(c.value, std::forward<decltype(v)>(v)...);
        });
      } else if constexpr (std::is_void_v<R>) {
        co_await std::move(body);
        put(c.value);
      } else {
        put(c.value, co_await std::move(body));
      }
    } catch (...) {
      c.error = std::current_exception();
    }
    // Past the catch block: the exception is referenced from the slot only,
    // so the waiting task can take it while this thread still runs.
    c.done = true;
    // Before the thread's state can go to another thread (release()).
    if (self->alias_) Loop::current().remove_alias(self->alias_);
    // Nothing below may co_await or read this_coro's state (see there).
    c.signal.release();
    self->child_done(i);
    if constexpr (!kAsioFastPath) co_await ThreadSignal::finished();
  }

  void child_done(std::size_t i) {
    Child& c = children_[i];
    if (mode_ == Mode::fail_fast && c.error && !is_cancellation(c.error)) {
      bool first;
      {
        std::lock_guard lk(m_);
        first = !first_error_;
        if (first) first_error_ = c.error;
      }
      if (first) cancel();
    } else if (mode_ == Mode::first_wins && !decided_.exchange(true, std::memory_order_relaxed)) {
      winner_ = i;  // read after join(), which sees this child's count below
      cancel();
    }
    if (order_) return finished_in_order(i);
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    WakeList woken;
    {
      // The waiting coroutine checks the count under the mutex before it
      // parks: either it saw zero, or it is queued by now.
      std::lock_guard lk(m_);
      woken = joiner_.take_all();
    }
    // This child is over: the waiting task continues right here when it
    // runs on this very loop thread.
    while (auto* w = woken.pop_front()) w->continue_here_or_post();
  }

  // In completion order, every end wakes the task in next() (posted: on a
  // one-thread loop the children started in one handler all end before it
  // runs, and it takes their results without parking again).
  void finished_in_order(std::size_t i) {
    WakeList woken;
    {
      std::lock_guard lk(m_);
      order_[written_++] = i;
      const bool last = remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1;
      if (last || !drain_) woken = joiner_.take_all();
    }
    while (auto* w = woken.pop_front()) w->complete({});
  }

  bool next_ready_locked() const noexcept {
    if (drain_) return remaining_.load(std::memory_order_relaxed) == 0;
    return read_ < written_ || read_ == n_;
  }

  // Every child, and the task that joins them or takes their results, runs on
  // this one loop thread: no lock (set before any child starts).
  void on_one_thread(Loop& loop) noexcept {
    one_loop_ = &loop;
    m_.switch_off();
  }

  void cancel_child(std::size_t i) {
    Child& c = children_[i];
    if (!c.done) c.signal.emit();
  }

  std::vector<Task<T>> bodies_;  // each moved into its child's thread as it starts
  MakeBody make_body_ = nullptr;
  TaskAlias* alias_ = nullptr;  // start_here's
  std::unique_ptr<Child[]> children_;
  const std::size_t n_;
  Executor ex_;                          // the loop, or the first child's strand, or start_here's
  std::unique_ptr<Executor[]> strands_;  // with several loop threads: each child's
  std::atomic<std::size_t> remaining_;
  const Mode mode_;
  std::atomic<bool> decided_ = false;  // first_wins: a child has finished
  std::size_t winner_ = 0;
  Loop* one_loop_ = nullptr;  // a one-thread loop's, when m_ is switched off
  OptionalMutex m_;  // guards first_error_ (until join), joiner_, the completion order and the two below
  bool launched_ = false;     // several threads: every child's launch is queued
  bool cancel_held_ = false;  // ...and a cancel() came before that
  std::exception_ptr first_error_;
  WaitQueue joiner_;
  // In completion order: the children's indices as they finished, how many
  // have (written_) and how many were handed out (read_).
  std::unique_ptr<std::size_t[]> order_;
  std::size_t written_ = 0;
  std::size_t read_ = 0;
  bool drain_ = false;              // wake the task in next() or join() only once all have finished
  bool cancelled_in_next_ = false;  // ...because it was cancelled in next(), which then throws
  const TaskNode* cancelled_next_by_ = nullptr;  // the task whose cancellation that was, for its message
};

}  // namespace runtime::detail
