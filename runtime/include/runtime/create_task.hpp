// create_task: asyncio.create_task. Starts a task now (it runs at the loop's
// next turn, concurrently with its creator) and returns a handle to it.
//
//   auto t = runtime::create_task(fetch(url));
//   auto n = runtime::create_task(fetch(url), "fetch " + url);   // named
//   ...
//   auto body = co_await t.wait();   // await task
//
// The handle can be copied; it asks whether the task is done, cancels it, and
// awaits its result any number of times (a move-only result, such as a lock
// guard, goes to the first wait; a later one throws std::logic_error). It is
// an AnyTask too (any_task.hpp): a name, cancel(msg), cancelling(), uncancel().
// Awaiting is structured like asyncio: cancelling the awaiting task cancels
// the awaited one too (with the same message), and the wait ends when that
// task has actually finished. On a one-thread loop a task awaiting one that
// finishes continues at once, ahead of tasks already waiting for their turn
// (asyncio would give it the next turn); elsewhere it is posted. A handle may
// outlive run(): it can still tell the task's outcome (run() cancels and
// waits for every task).
#pragma once

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/recycling_allocator.hpp>

#include <boost/asio/this_coro.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "runtime/any_task.hpp"
#include "runtime/cancellation.hpp"
#include "runtime/detail/asan.hpp"
#include "runtime/detail/future_state.hpp"
#include "runtime/detail/loop.hpp"
#include "runtime/detail/asio_path.hpp"
#include "runtime/detail/direct_wait.hpp"
#include "runtime/detail/resume.hpp"
#include "runtime/detail/state_ref.hpp"
#include "runtime/task.hpp"

namespace runtime {

template <class T>
class TaskHandle;

namespace detail {

// How the runtime's combinators (wait, shield) reach a handle's task state.
struct TaskHandleAccess;

// Who is told when a task starts and ends (TaskGroup counts and links its
// children with it; run() ends the loop's other tasks when the main one ends).
struct TaskWatcher {
  // Before the task is launched, so the watcher knows it before it can end.
  // True: cancel it at once (a failing TaskGroup refuses new children).
  virtual bool task_started(TaskNode&) noexcept { return false; }
  // Once its result is recorded, with its exception if any.
  virtual void task_done(TaskNode&, const std::exception_ptr&) noexcept = 0;

 protected:
  ~TaskWatcher() = default;
};

template <class T>
class TaskState final : public FutureState<T>, public TaskNode {
 public:
  TaskState(Loop& loop, std::shared_ptr<TaskWatcher> watcher)
      : loop_(loop), on_loop_(loop.one_thread()), watcher_(std::move(watcher)) {
    // On a one-thread loop the result is recorded, parked on and taken on
    // that thread only: no lock (see check_awaited_here).
    if (on_loop_) {
      this->mutex().switch_off();
    } else {
      ex_ = loop.new_task_executor();
    }
  }

  // Before a wait on a task: a task on a one-thread loop is awaited on that
  // loop only (asyncio raises RuntimeError for a task of another loop), since
  // its state has no lock; done or not, as a wait may take its result out.
  void check_awaited_here() const {
    if (on_loop_ && !loop_.is_current()) [[unlikely]] {
      throw std::logic_error("runtime: a task of a one-thread loop awaited outside that loop");
    }
  }

  bool cancel(CancelMessage message = nullptr) noexcept override {
    if (this->done()) return false;  // nothing left to interrupt
    note_cancel(std::move(message));
    // Emitted on the task's own executor, where it runs, unless uncancel()
    // has taken every request back meanwhile.
    on_own_executor([self = StateRef<TaskState>::share(this)] {
      if (self->done() || self->cancelling() == 0) return;
      CancelDelivery delivering(self.get());
      self->signal_.emit();
    });
    return true;
  }
  // A task awaiting this one is being cancelled: this one is too, with the
  // same message (asyncio's `await task` passes it on).
  void cancel_from_awaiter() noexcept {
    const TaskNode* by = TaskNode::delivering();
    cancel(by ? by->cancel_message() : nullptr);
  }

  bool done() const noexcept override { return FutureState<T>::done(); }
  std::exception_ptr exception() const override { return FutureState<T>::exception(); }

  // From Asio's per-thread cache of recently freed blocks: most tasks are
  // short-lived, and the cache is cheaper than malloc for them. (Not under
  // AddressSanitizer: see asan.hpp.)
  using Allocator = std::conditional_t<kAddressSanitizer, std::allocator<TaskState>,
                                       boost::asio::recycling_allocator<TaskState>>;

  // `self` is this state (one more reference for the task's own thread).
  void start(StateRef<TaskState> self, Task<T> body) {
    // The task gets an Asio "awaitable thread" of its own (on the fast path,
    // what co_spawn builds without co_spawn's extra hops and completion
    // handler), its cancellation hung on signal_. Made before the task is
    // registered: from then on another loop thread may cancel it, which
    // needs signal_'s slot complete, and a failure to make it (bad_alloc)
    // leaves nothing registered.
    TaskThread thread(drive(kAsioFastPath ? std::move(self) : StateRef<TaskState>(self), std::move(body)),
                      on_loop_ ? Executor(loop_.context().get_executor()) : ex_, signal_.slot(),
                      [&] { return keep_alive(self); });
    loop_.add(this);
    const bool cancel_now = watcher_ && watcher_->task_started(*this);
    // Posted, not launched inline: like asyncio, the creator keeps running
    // and the new task starts at the loop's next turn.
    if (on_loop_) {
      launch_.post(loop_, std::move(thread));
    } else {
      post_to(ex_, [thread = std::move(thread)]() mutable { thread.launch(); });
    }
    // Posted after its own launch, so that it reaches the first wait.
    if (cancel_now) cancel();
  }

 private:
  // The count of references (TaskNode's: the task's thread, its handles, the
  // waits on it) is down to zero.
  void destroy() noexcept override {
    Allocator a;
    this->~TaskState();
    a.deallocate(this, 1);
  }

  void withdraw_cancel() noexcept override {
    auto withdraw = [self = StateRef<TaskState>::share(this)] {
      if (self->done() || self->cancelling() > 0) return;  // over, or cancelled again meanwhile
      self->thread_state().clear();
      self->signal_.withdraw();
    };
    // From the task itself it must act at once: the task goes on right after.
    if (runs_here()) return withdraw();
    on_own_executor(std::move(withdraw));
  }

  // Queues `f` on the task's executor (nothing once the task is done).
  template <class F>
  void on_own_executor(F f) noexcept {
    if (on_loop_) {
      if (!post_on_own_loop(loop_.context(), f)) boost::asio::post(loop_.context(), std::move(f));
      return;
    }
    Executor ex;
    {
      // A finished task has let go of its strand (release_executor).
      std::lock_guard lk(this->mutex());
      if (this->done()) return;
      ex = ex_;
    }
    post_to(ex, std::move(f));
  }
  // On the task's executor now: the loop's one thread, or the task's strand.
  bool runs_here() noexcept {
    if (on_loop_) return loop_.context().get_executor().running_in_this_thread();
    std::lock_guard lk(this->mutex());
    auto* strand = ex_.template target<IoStrand>();
    return strand && strand->running_in_this_thread();
  }

  // The bottom frame of the task's thread. It owns a reference to the state
  // until its very end: the thread's cancellation state lives in signal_.
  static ThreadBody drive(StateRef<TaskState> self, Task<T> body) {
    std::exception_ptr error;
    WakeList awaiters;
    self->set_thread_state(co_await boost::asio::this_coro::cancellation_state);
    self->signal_.started(self.get());
    try {
      if constexpr (std::is_void_v<T>) {
        co_await std::move(body);
        self->record_value(None{}, awaiters);
      } else {
        self->record_value(co_await std::move(body), awaiters);
      }
    } catch (...) {
      error = std::current_exception();
      // Asio's plain cancellation error becomes CancelledError with the
      // message, for the task's awaiters.
      if (self->cancelling() > 0) error = with_cancel_message(std::move(error), *self);
      self->record_exception(error, awaiters);
    }
    self->release_executor();
    self->loop_.remove(self.get());
    if (self->watcher_) self->watcher_->task_done(*self, error);
    // The task is over: a task that awaits it continues right here when it
    // runs on this very loop thread, which saves a trip through the loop.
    try {
      while (auto* w = awaiters.pop_front()) w->continue_here_or_post();
    } catch (...) {  // an awaiter's thread threw while it ran here: the others still wake
      while (auto* w = awaiters.pop_front()) w->complete({});
      throw;
    }
    if constexpr (!kAsioFastPath) co_await ThreadSignal::finished();
  }

  // Once the task is done: with several loop threads its executor is a
  // strand, whose last release touches the loop, and a handle (with this
  // state) may outlive run(). The task's thread holds a copy of its own.
  void release_executor() noexcept {
    if (on_loop_) return;  // no strand to let go
    std::lock_guard lk(this->mutex());
    ex_ = Executor();
  }

  // What keeps this state alive until its thread is over (the public path's
  // TaskThread holds it; the fast path's thread ends with drive()).
  static std::shared_ptr<void> keep_alive(const StateRef<TaskState>& self) {
    return std::shared_ptr<void>(self.get(), [ref = self](void*) {});
  }

  Loop& loop_;
  const bool on_loop_;  // one loop thread: the task runs on the loop, launched by launch_
  Executor ex_;         // else its strand, until it is done; read under mutex() once its launch is posted
  std::shared_ptr<TaskWatcher> watcher_;
  ThreadSignal signal_;
  TaskLaunch launch_;
};

// `name`: the task's name, if it is given one.
template <class T>
StateRef<TaskState<T>> spawn(Task<T> body, std::shared_ptr<TaskWatcher> watcher = nullptr,
                             std::string* name = nullptr) {
  Loop& loop = Loop::current();
  typename TaskState<T>::Allocator a;
  TaskState<T>* p = a.allocate(1);
  try {
    new (p) TaskState<T>(loop, std::move(watcher));
  } catch (...) {
    a.deallocate(p, 1);
    throw;
  }
  auto st = StateRef<TaskState<T>>::adopt(p);
  if (name) st->set_name(std::move(*name));
  st->start(st, std::move(body));
  return st;
}

}  // namespace detail

// The outcome of a finished task: its value or its exception (gather's
// return_exceptions mode hands these back instead of throwing).
template <class T>
class Outcome {
 public:
  explicit Outcome(value_t<T> v) : value_(std::move(v)) {}
  explicit Outcome(std::exception_ptr e) : error_(std::move(e)) {}

  bool ok() const noexcept { return !error_; }
  std::exception_ptr error() const noexcept { return error_; }
  // The value; rethrows the exception when there is one.
  const value_t<T>& value() const& {
    if (error_) std::rethrow_exception(error_);
    return *value_;
  }
  value_t<T>&& value() && {
    if (error_) std::rethrow_exception(error_);
    return std::move(*value_);
  }

 private:
  std::optional<value_t<T>> value_;
  std::exception_ptr error_;
};

template <class T>
class TaskHandle : public AnyTask {
 public:
  bool done() const noexcept { return st()->done(); }
  // Done, and ended by cancellation.
  bool cancelled() const noexcept { return st()->done() && is_cancellation(st()->exception()); }

  // Waits for the task to finish; returns its value or rethrows its exception.
  using Waiting = detail::AwaitResult<T, detail::StateRef<detail::TaskState<T>>, /*kCancelsTask=*/true>;
  Wait<Waiting> wait() const {
    st()->check_awaited_here();
    return Wait<Waiting>(Waiting(detail::StateRef<detail::TaskState<T>>::share(st())));
  }

  // asyncio's Task.result(): the value or the exception of a finished task;
  // std::logic_error if it is still running.
  value_t<T> result() const { return st()->get(); }
  Outcome<T> outcome() const {
    if (auto e = st()->exception()) return Outcome<T>(e);
    return Outcome<T>(st()->get());
  }
  // Moves the value out (for a single consumer such as gather).
  value_t<T> take() const { return st()->take(); }

 private:
  template <detail::TaskValue U>
  friend TaskHandle<U> create_task(Task<U>);
  template <detail::TaskValue U>
  friend TaskHandle<U> create_task(Task<U>, std::string);
  friend class TaskGroup;
  friend struct detail::TaskHandleAccess;
  explicit TaskHandle(detail::StateRef<detail::TaskState<T>> st) : AnyTask(std::move(st)) {}
  detail::TaskState<T>* st() const noexcept { return static_cast<detail::TaskState<T>*>(node()); }
};

// Must be called on a loop thread (inside runtime::run).
template <detail::TaskValue T>
TaskHandle<T> create_task(Task<T> body) {
  return TaskHandle<T>(detail::spawn(std::move(body)));
}
// asyncio's create_task(coro, name=...).
template <detail::TaskValue T>
TaskHandle<T> create_task(Task<T> body, std::string name) {
  return TaskHandle<T>(detail::spawn(std::move(body), nullptr, &name));
}
template <class Op>
TaskHandle<typename Op::result_type> create_task(Wait<Op> w) {
  return create_task(detail::as_task(std::move(w)));
}
template <class Op>
TaskHandle<typename Op::result_type> create_task(Wait<Op> w, std::string name) {
  return create_task(detail::as_task(std::move(w)), std::move(name));
}

}  // namespace runtime
