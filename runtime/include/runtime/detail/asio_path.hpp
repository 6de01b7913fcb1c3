// Where the runtime meets Asio's coroutine machinery: the one header that uses
// Asio detail APIs, and the fallback on Asio's public API beside each.
//
// RUNTIME_ASIO_FAST_PATH (set by runtime/CMakeLists.txt, option
// ASYNCFETCH_ASIO_FAST_PATH) picks the path. The fast path names, and is the
// only code that names:
//   boost::asio::detail::awaitable_frame_base, awaitable_frame,
//     awaitable_thread, awaitable_thread_entry_point,
//     awaitable_async_op_handler            parking and resuming a coroutine
//                                           without an initiation frame
//   awaitable_frame_base::after_suspend through
//     await_transform(Function)             (the hook a ParkHook rides on)
//   a specialisation of boost::asio::awaitable<WaitOp<Op>, Executor>
//                                           Wait<Op>: a wait without a frame
//   boost::asio::detail::scheduler, scheduler_operation, op_queue,
//     scheduler::post_immediate_completion  a task's launch and a wake-up
//                                           without a posted handler's
//                                           allocation; a one-thread loop's
//                                           ready queue (LoopQueue)
//   a specialisation of awaitable_frame<FrameAccess, Executor>, a friend
//     of every awaitable, and awaitable_frame_base::pending_exception_
//                                           outcome_of: a child task's
//                                           exception taken, not rethrown
// It is written against Boost 1.81 and 1.83 (checked below). The public path
// does the same with co_spawn, async_initiate, deferred and post: every test
// passes on it too, each wait merely costs a coroutine frame or a loop turn
// more (docs/performance.md has both paths side by side).
//
// What the rest of the runtime sees, on either path:
//   Parked          the way back to a parked coroutine (in every Waiter)
//   park_on(hook)   co_await it to park on a ParkHook (wait_queue.hpp)
//   Wait<Op>        what a primitive's wait returns (direct_wait.hpp)
//   ThreadBody, TaskThread, TaskLaunch, ThreadSignal
//                   a task's own Asio "thread" of execution, its launch and
//                   its cancellation
//   yield_op        co_await it to give the loop a turn
//   outcome_of      co_await it in a ThreadBody: a task's end, its exception
//                   returned rather than thrown
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/version.hpp>

#include <cassert>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "runtime/detail/frame_pool.hpp"
#include "runtime/detail/loop.hpp"
#include "runtime/detail/resume.hpp"
#include "runtime/detail/task_type.hpp"

#ifndef RUNTIME_ASIO_FAST_PATH
#error "RUNTIME_ASIO_FAST_PATH is set by runtime/CMakeLists.txt"
#endif

#if RUNTIME_ASIO_FAST_PATH
#include <boost/asio/detail/op_queue.hpp>
#include <boost/asio/detail/scheduler.hpp>
#include <boost/asio/detail/scheduler_operation.hpp>
// The layouts and hooks used below, as Boost 1.81 and 1.83 have them
// (boost/asio/impl/awaitable.hpp, detail/scheduler.hpp). Another Boost builds
// with -DASYNCFETCH_ASIO_FAST_PATH=OFF (CMake's AUTO picks that itself).
static_assert(BOOST_VERSION / 100 == 1081 || BOOST_VERSION / 100 == 1083,
              "runtime/detail/asio_path.hpp's fast path is written for Boost 1.81 and 1.83");
#else
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_awaitable.hpp>
#endif

namespace runtime {
namespace detail {

inline constexpr bool kAsioFastPath = RUNTIME_ASIO_FAST_PATH;

template <class Op>
struct WaitOp {};

// co_await outcome_of(task, on_value) in a thread's bottom frame: awaits the
// task and returns the exception it ended with, or null when it returned, once
// on_value(its value) (on_value() for void) has run. A throw costs about a
// microsecond, and one more for each coroutine frame it is rethrown into: on
// the fast path the exception is taken from the task's frame, not rethrown
// here, so that a cancelled child unwinds at the cost of its own throw only.
template <class T, class F>
struct Outcome {
  Task<T> task;
  F on_value;
};
template <class T>
inline constexpr bool is_outcome = false;
template <class T, class F>
inline constexpr bool is_outcome<Outcome<T, F>> = true;

struct FrameAccess {};

}  // namespace detail
}  // namespace runtime

#if RUNTIME_ASIO_FAST_PATH
namespace boost::asio::detail {
// Every awaitable_frame is a friend of every awaitable: this one reaches an
// awaited task's frame, and the exception it ended with there.
template <>
class awaitable_frame<runtime::detail::FrameAccess, runtime::Executor>
    : awaitable_frame_base<runtime::Executor> {
 public:
  template <class T>
  static std::exception_ptr take_exception(awaitable<T, runtime::Executor>& a) noexcept {
    awaitable_frame_base<runtime::Executor>& f = *a.frame_;
    return std::exchange(f.*(&awaitable_frame::pending_exception_), nullptr);
  }
};
}  // namespace boost::asio::detail
#endif

namespace runtime {
namespace detail {

#if RUNTIME_ASIO_FAST_PATH

using Frame = boost::asio::detail::awaitable_frame_base<Executor>;
using Thread = boost::asio::detail::awaitable_thread<Executor>;
using Resumer = boost::asio::detail::awaitable_async_op_handler<void(), Executor>;

// An Asio operation embedded in the runtime's own state (a task's launch, a
// parked coroutine's resumption), queued on the loop's scheduler directly:
// no allocated handler, no type-erased executor.
struct LoopOp : boost::asio::detail::scheduler_operation {
  explicit LoopOp(func_type f) noexcept : scheduler_operation(f) {}
};

// A parked coroutine's "awaitable thread" (its stack of frames), detached
// from it, and where it resumes.
class Parked {
 public:
  // `held_elsewhere`: what it waits for is of its own one-thread loop and
  // holds that loop running until it wakes it from a handler there (a task,
  // gather's children), so it takes no hold of its own (two atomic
  // instructions per wait).
  explicit Parked(Frame* frame, bool held_elsewhere = false)
      : Parked(frame, held_elsewhere, Resumer::result_type{}) {}

  boost::asio::cancellation_slot slot() { return resumer_->get_cancellation_slot(); }

  // Resumes it on its own executor, never inline. `p` (in the parked frame)
  // may be gone as soon as the coroutine runs.
  static void resume_posted(std::optional<Parked>& p) {
    ResumePoint where = std::move(*p->where_);  // released once queued: the queued resumption holds the loop
    if (Loop* loop = p->loop_) {
      p->op_.parked = &p;
      loop->post(p->op_);
      return;
    }
    where.post([&p] {
      // Moved out first: pumping resumes the parked frame, which may end and
      // take `p` with it. The resumer also drops the cancellation handler
      // on this executor, where cancellation is emitted, so the two never race.
      Resumer r = std::move(*p->resumer_);
      p.reset();
      r();
    });
  }

  // Resumes it inline when this thread runs its loop and it is on no strand
  // (a one-thread loop); false, and nothing done, otherwise.
  static bool resume_here(std::optional<Parked>& p) {
    if (!p->where_->runs_here()) return false;
    p->where_.reset();  // its hold on the loop is not needed: we are in it
    Resumer r = std::move(*p->resumer_);
    p.reset();
    r();
    return true;
  }

 private:
  // Made in place, not emplaced: GCC 14 cannot tell that a fresh optional
  // holds nothing to destroy (-Wmaybe-uninitialized).
  Parked(Frame* frame, bool held_elsewhere, Resumer::result_type&& unused)
      : resumer_(std::in_place, frame->detach_thread(), unused),
        where_(std::in_place, resumer_->get_executor(), /*hold=*/!held_elsewhere) {
    // Parked on a loop's thread, to be resumed on that loop without a strand
    // (a one-thread loop): resumed through op_.
    Loop* here = Loop::running();
    if (here && where_->plain_context() == &here->context()) loop_ = here;
  }

  // The resumption as an operation of the loop's own: the same work as the
  // posted function of resume_posted, and like it, when the loop is destroyed
  // with it queued (`owner` null), the coroutine is dropped unresumed.
  struct ResumeOp final : LoopOp {
    ResumeOp() noexcept : LoopOp(&complete) {}
    std::optional<Parked>* parked = nullptr;
    static void complete(void* owner, scheduler_operation* op, const boost::system::error_code&, std::size_t) {
      std::optional<Parked>& p = *static_cast<ResumeOp*>(op)->parked;
      Resumer r = std::move(*p->resumer_);
      p.reset();
      if (owner) r();
    }
  };

  std::optional<Resumer> resumer_;
  std::optional<ResumePoint> where_;
  Loop* loop_ = nullptr;  // set: resumed through op_ on this loop
  ResumeOp op_;
};

// A wait under a switched-off OptionalMutex is for a task or child run of the
// waiter's own one-thread loop (TaskState, ChildRun), which holds the loop
// running until it wakes the waiter.
template <class Hook>
bool loop_held_by_awaited(const Hook& hook) noexcept {
  if constexpr (requires { hook.m.switched_off(); }) {
    return hook.m.switched_off();
  } else {
    return false;
  }
}

// co_await park_on(hook): the hook runs right after the coroutine has
// suspended (await_transform(Function)); when it does not park it, Asio's
// pump resumes it at once, without a trip through the loop.
template <class Hook>
struct FrameHook {
  Hook hook;
  Thread* operator()(Frame* frame) const {
    hook.park([frame, held = loop_held_by_awaited(hook)](std::optional<Parked>& p) { p.emplace(frame, held); });
    return nullptr;
  }
};
template <class Hook>
FrameHook<Hook> park_on(Hook hook) {
  return {std::move(hook)};
}

// Where a loop's LoopOps are queued. On a one-thread loop, what its own
// thread queues (a task's launch, a wake-up, a yield, and through
// post_on_own_loop the runtime's other handlers for that loop, so that all
// keep the order they were queued in) goes to a ready queue of the runtime's
// own, which one operation on Asio's scheduler runs in batches: a scheduler
// turn takes the scheduler's mutex twice (about 20 ns, the "scheduler floor"
// of bench/asio_floor_bench), a push and pop of the ready queue nothing. After
// kBatch operations a batch ends and queues itself again behind the
// scheduler's own work (timers, sockets, posts from other threads), as
// asyncio runs its ready queue and then polls for I/O. What other threads
// queue goes to the scheduler.
class LoopQueue {
 public:
  LoopQueue() noexcept = default;
  LoopQueue(const LoopQueue&) = delete;
  LoopQueue& operator=(const LoopQueue&) = delete;

  // Before the first post. The queue outlives the io_context, whose
  // destruction destroys the batch operation if it is still queued.
  void attach(boost::asio::io_context& ctx) { s_ = &boost::asio::use_service<boost::asio::detail::scheduler>(ctx); }

  // `local`: called on the thread of a one-thread loop, which runs it.
  void post(LoopOp& op, bool local) noexcept {
    if (!local) return s_->post_immediate_completion(&op, /*is_continuation=*/false);
    ready_.push(&op);
    if (!batch_.queued) {
      batch_.queued = true;
      s_->post_immediate_completion(&batch_, /*is_continuation=*/false);
    }
  }

 private:
  using Operation = boost::asio::detail::scheduler_operation;
  static constexpr int kBatch = 64;

  struct Batch final : LoopOp {
    explicit Batch(LoopQueue& q) noexcept : LoopOp(&complete), q(q) {}
    LoopQueue& q;
    bool queued = false;

    static void complete(void* owner, Operation* op, const boost::system::error_code& ec, std::size_t) {
      LoopQueue& q = static_cast<Batch*>(op)->q;
      if (!owner) {  // the io_context is destroyed with the batch queued: so is what it holds
        q.batch_.queued = false;
        while (Operation* o = q.ready_.front()) {
          q.ready_.pop();
          o->destroy();
        }
        return;
      }
      // Queued again for what is left, also when an operation throws (an
      // exception that leaves the loop's run()).
      struct Again {
        LoopQueue& q;
        ~Again() {
          if (q.ready_.empty()) {
            q.batch_.queued = false;
          } else {
            q.s_->post_immediate_completion(&q.batch_, /*is_continuation=*/false);
          }
        }
      } again{q};
      for (int i = 0; i < kBatch; ++i) {
        Operation* o = q.ready_.front();
        if (!o) break;
        q.ready_.pop();
        o->complete(owner, ec, 0);
      }
    }
  };

  boost::asio::detail::scheduler* s_ = nullptr;
  boost::asio::detail::op_queue<Operation> ready_;
  Batch batch_{*this};
};

// A function queued in a one-thread loop's ready queue, its block from the
// FramePool. Like a post's handler, it is dropped uncalled when the loop is
// destroyed with it queued.
template <class F>
struct FunctionOp final : LoopOp {
  explicit FunctionOp(F&& f) : LoopOp(&complete), f(std::move(f)) {}
  F f;
  static void complete(void* owner, scheduler_operation* op, const boost::system::error_code&, std::size_t) {
    auto* self = static_cast<FunctionOp*>(op);
    F g = std::move(self->f);
    self->~FunctionOp();
    FramePool::deallocate(self, sizeof(FunctionOp));
    if (owner) g();
  }
};

template <class F>
bool post_on_own_loop(boost::asio::io_context& ctx, F& f) {
  Loop* loop = Loop::running();
  if (!loop || !loop->one_thread() || &loop->context() != &ctx) return false;
  using Op = FunctionOp<std::decay_t<F>>;
  void* p = FramePool::allocate(sizeof(Op));
  loop->post(*::new (p) Op(std::move(f)));
  return true;
}

// The bottom frame of a task's thread: Asio's
// awaitable<awaitable_thread_entry_point>, its frames from the FramePool.
//
// Why: Asio recycles coroutine frames through a cache of 8 blocks per thread,
// shared by frames of every size. A gather of 1000 tasks keeps 1000 bottom
// frames alive at once; malloc then served them from its slow path, and that
// was a third of gather's time. The promise adds no data, so Asio's own code,
// which sees only its base, finds everything where it expects it.
using EntryPoint = boost::asio::awaitable<boost::asio::detail::awaitable_thread_entry_point, Executor>;

class ThreadBody : public EntryPoint {
 public:
  explicit ThreadBody(EntryPoint&& e) noexcept : EntryPoint(std::move(e)) {}

  class promise_type : public boost::asio::detail::awaitable_frame<
                           boost::asio::detail::awaitable_thread_entry_point, Executor> {
   public:
    static void* operator new(std::size_t n) { return FramePool::allocate(n); }
    static void operator delete(void* p, std::size_t n) noexcept { FramePool::deallocate(p, n); }
    ThreadBody get_return_object() { return ThreadBody(awaitable_frame::get_return_object()); }

    // Asio's awaitables suspend with a handle to Asio's promise type; this
    // hands them one, to the same frame.
    template <class A>
      requires(!is_outcome<std::decay_t<A>>)
    auto await_transform(A&& a) {
      using Inner = decltype(awaitable_frame::await_transform(std::forward<A>(a)));
      struct Adapter {
        Inner inner;
        bool await_ready() { return inner.await_ready(); }
        auto await_suspend(std::coroutine_handle<promise_type> h) {
          return inner.await_suspend(std::coroutine_handle<awaitable_frame>::from_address(h.address()));
        }
        [[gnu::always_inline]] decltype(auto) await_resume() { return inner.await_resume(); }
      };
      return Adapter{awaitable_frame::await_transform(std::forward<A>(a))};
    }

    // outcome_of: Asio's checks first (a cancelled thread throws here, as
    // at any co_await), then the task runs on this thread as awaited.
    template <class T, class F>
    auto await_transform(Outcome<T, F> o) {
      using Access = boost::asio::detail::awaitable_frame<FrameAccess, Executor>;
      struct Adapter {
        Task<T> task;
        F on_value;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<promise_type> h) {
          task.await_suspend(std::coroutine_handle<awaitable_frame>::from_address(h.address()));
        }
        std::exception_ptr await_resume() {
          if (auto e = Access::take_exception(task)) return e;  // its frame goes with `task`
          if constexpr (std::is_void_v<T>) {
            task.await_resume();
            on_value();
          } else {
            on_value(task.await_resume());
          }
          return nullptr;
        }
      };
      return Adapter{awaitable_frame::await_transform(std::move(o.task)), std::move(o.on_value)};
    }
  };
  // Asio finds the promise from a handle to its own promise type: the two
  // must be laid out alike.
  static_assert(sizeof(promise_type) == sizeof(promise_type::awaitable_frame) &&
                alignof(promise_type) == alignof(promise_type::awaitable_frame));
};

// The promise of every runtime::Task on the fast path (std::coroutine_traits
// below): Asio's awaitable_frame, its frame from the FramePool. Asio's own
// recycling keeps 8 blocks per thread for frames of every size; a gather of
// 1000 tasks holds 1000 frames at once, and the rest went to malloc, about
// 340 instructions a task. Like ThreadBody's promise it adds no data, and
// hands Asio's awaitables a handle to Asio's promise type.
template <class T>
class TaskPromise : public boost::asio::detail::awaitable_frame<T, Executor> {
  using Base = boost::asio::detail::awaitable_frame<T, Executor>;

 public:
  static void* operator new(std::size_t n) { return FramePool::allocate(n); }
  static void operator delete(void* p, std::size_t n) noexcept { FramePool::deallocate(p, n); }

  template <class A>
  auto await_transform(A&& a) {
    using Inner = decltype(Base::await_transform(std::forward<A>(a)));
    struct Adapter {
      Inner inner;
      bool await_ready() { return inner.await_ready(); }
      auto await_suspend(std::coroutine_handle<TaskPromise> h) {
        return inner.await_suspend(std::coroutine_handle<Base>::from_address(h.address()));
      }
      [[gnu::always_inline]] decltype(auto) await_resume() { return inner.await_resume(); }
    };
    return Adapter{Base::await_transform(std::forward<A>(a))};
  }
};
static_assert(sizeof(TaskPromise<int>) == sizeof(boost::asio::detail::awaitable_frame<int, Executor>) &&
              alignof(TaskPromise<int>) == alignof(boost::asio::detail::awaitable_frame<int, Executor>));

template <class T, class F>
Outcome<T, F> outcome_of(Task<T> task, F on_value) {
  return {std::move(task), std::move(on_value)};
}

// A task's thread of execution, made (not started) from its bottom frame,
// its cancellation hung on `slot`. `keep` is for the public path (see there).
class TaskThread {
 public:
  template <class MakeKeep>
  TaskThread(ThreadBody body, const Executor& ex, boost::asio::cancellation_slot slot, MakeKeep&&)
      : t_(std::move(body), ex, slot, boost::asio::cancellation_state(slot)) {}
  // Runs it now, on the calling thread (which runs its executor).
  void launch() { t_.launch(); }

 private:
  Thread t_;
};

// Posts a task's launch to a one-thread loop (see LoopOp).
class TaskLaunch {
 public:
  TaskLaunch() noexcept = default;
  void post(Loop& loop, TaskThread t) {
    op_.thread.emplace(std::move(t));
    loop.post(op_);
  }

 private:
  struct Op final : LoopOp {
    Op() noexcept : LoopOp(&complete) {}
    std::optional<TaskThread> thread;
    // `owner` is null when the loop is destroyed with the launch still
    // queued: the thread is then dropped unlaunched (and unwound by Asio).
    static void complete(void* owner, scheduler_operation* op, const boost::system::error_code&, std::size_t) {
      auto& self = static_cast<Op&>(*op);
      // Out of the state first: the task may end, and free it, while it runs.
      TaskThread t = std::move(*self.thread);
      self.thread.reset();
      if (owner) t.launch();
    }
  };
  Op op_;
};

// co_await yield_op(): detaches the coroutine's thread and queues its
// resumption behind the work already queued, the cheapest trip through the
// loop. On a one-thread loop's own io_context that is an operation embedded in
// this awaiter, which lives in the coroutine's frame while it is suspended:
// no allocation, no type-erased executor. Elsewhere (a strand, another
// loop's executor), a post to the coroutine's executor.
class YieldHook {
 public:
  YieldHook() noexcept = default;
  // Moved into Asio's awaiter before it is used: nothing is queued yet.
  YieldHook(YieldHook&&) noexcept {}

  Thread* operator()(Frame* frame) {
    Resumer::result_type unused;
    std::optional<Resumer>& r = op_.resumer;
    r.emplace(frame->detach_thread(), unused);
    const Executor& ex = r->get_executor();
    Loop* loop = Loop::running();
    if (auto* io = ex.target<IoExecutor>(); loop && io && &io->context() == &loop->context()) {
      loop->post(op_);
      return nullptr;
    }
    post_to(ex, [r = std::exchange(r, std::nullopt)]() mutable { (*r)(); });
    return nullptr;
  }

 private:
  // Like Parked's ResumeOp: when the loop is destroyed with it queued
  // (`owner` null), the coroutine is dropped unresumed.
  struct Op final : LoopOp {
    Op() noexcept : LoopOp(&complete) {}
    std::optional<Resumer> resumer;
    static void complete(void* owner, scheduler_operation* op, const boost::system::error_code&, std::size_t) {
      // Out of the frame first: resuming may end the coroutine and free it.
      Resumer r = std::move(*static_cast<Op*>(op)->resumer);
      static_cast<Op*>(op)->resumer.reset();
      if (owner) r();
    }
  };
  Op op_;
};
inline YieldHook yield_op() { return {}; }

#else  // the public API

// A parked coroutine: the completion handler of the async operation it is
// suspended on (use_awaitable's), type-erased, with a hold on its executor's
// work, as any pending Asio operation has.
class Parked {
  struct Base {
    virtual ~Base() = default;
    virtual boost::asio::cancellation_slot slot() noexcept = 0;
    virtual bool runs_here() const noexcept = 0;
    virtual void post() = 0;        // each takes ownership of itself
    virtual void run_inline() = 0;
  };
  template <class Handler>
  struct Impl final : Base {
    explicit Impl(Handler h)
        : handler(std::move(h)), work(boost::asio::get_associated_executor(handler)) {}
    boost::asio::cancellation_slot slot() noexcept override {
      return boost::asio::get_associated_cancellation_slot(handler);
    }
    bool runs_here() const noexcept override {
      const Executor ex = work.get_executor();  // a copy: target() points into it
      auto* io = ex.template target<IoExecutor>();
      return io && io->running_in_this_thread();
    }
    void post() override {
      auto ex = work.get_executor();
      boost::asio::post(ex, [self = std::unique_ptr<Impl>(this)]() mutable { resume(std::move(self)); });
    }
    void run_inline() override { resume(std::unique_ptr<Impl>(this)); }
    static void resume(std::unique_ptr<Impl> self) {
      Handler h = std::move(self->handler);
      // Dropped here, on the coroutine's executor, where cancellation is
      // emitted: the cancellation handler points at the parked Waiter.
      boost::asio::get_associated_cancellation_slot(h).clear();
      self.reset();
      std::move(h)();
    }
    Handler handler;
    boost::asio::executor_work_guard<Executor> work;
  };

 public:
  template <class Handler>
    requires(!std::is_same_v<std::decay_t<Handler>, Parked>)
  explicit Parked(Handler&& h) : impl_(std::make_unique<Impl<std::decay_t<Handler>>>(std::forward<Handler>(h))) {}

  boost::asio::cancellation_slot slot() noexcept { return impl_->slot(); }

  static void resume_posted(std::optional<Parked>& p) {
    Base* b = p->impl_.release();
    p.reset();
    b->post();
  }
  static bool resume_here(std::optional<Parked>& p) {
    if (!p->impl_->runs_here()) return false;
    Base* b = p->impl_.release();
    p.reset();
    b->run_inline();
    return true;
  }

 private:
  std::unique_ptr<Base> impl_;
};

// co_await park_on(hook): a coroutine that asks the hook first (no
// suspension when it may go on), then suspends on an async operation whose
// initiation parks it, or, when it became ready meanwhile, resumes it
// through the loop.
template <class Hook>
Task<void> park_on(Hook hook) {
  if (hook.ready_now()) co_return;
  co_await boost::asio::async_initiate<const boost::asio::deferred_t&, void()>(
      [&hook](auto handler) {
        std::optional<Parked> p;
        p.emplace(std::move(handler));
        if (!hook.park([&p](std::optional<Parked>& dst) { dst = std::move(p); })) Parked::resume_posted(p);
      },
      boost::asio::deferred);
}

// A task's thread: co_spawn's, started on its executor. Its bottom frame is
// co_spawn's, which runs on after the task's own (ThreadBody) has ended and
// still reads the cancellation state hung on `slot`: `make_keep()` returns
// what keeps that slot's owner alive, held by the completion handler.
using ThreadBody = Task<void>;

class TaskThread {
 public:
  template <class MakeKeep>
  TaskThread(ThreadBody body, const Executor& ex, boost::asio::cancellation_slot slot, MakeKeep&& make_keep)
      : body_(std::move(body)), ex_(ex), slot_(slot), keep_(make_keep()) {}

  void launch() {
    boost::asio::co_spawn(ex_, std::move(body_),
                          boost::asio::bind_cancellation_slot(slot_, Done{slot_, std::move(keep_)}));
  }

 private:
  // Once the thread is over, co_spawn's cancellation handler goes from the
  // slot: it holds the thread's executor (a strand), and the slot's owner, a
  // task's state, may outlive the loop. A thread's bottom frame catches what
  // its task throws; what is left (an awaiter's exception, see
  // create_task.hpp) leaves the loop's run(), as on the fast path.
  struct Done {
    boost::asio::cancellation_slot slot;
    std::shared_ptr<void> keep;
    void operator()(std::exception_ptr e) {
      slot.clear();
      if (e) std::rethrow_exception(e);
    }
  };
  ThreadBody body_;
  Executor ex_;
  boost::asio::cancellation_slot slot_;
  std::shared_ptr<void> keep_;
};

class TaskLaunch {
 public:
  void post(Loop& loop, TaskThread t) {
    boost::asio::post(loop.context(), [t = std::move(t)]() mutable { t.launch(); });
  }
};

// A post to the awaiting coroutine's own executor (the completion's associated one).
inline auto yield_op() { return boost::asio::post(boost::asio::deferred); }

// Every handler goes to Asio's scheduler, in the order queued.
template <class F>
bool post_on_own_loop(boost::asio::io_context&, F&) {
  return false;
}

// outcome_of: a frame that catches what the task throws.
template <class T, class F>
Task<std::exception_ptr> outcome_of(Task<T> task, F on_value) {
  std::exception_ptr e;
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
      on_value();
    } else {
      on_value(co_await std::move(task));
    }
  } catch (...) {
    e = std::current_exception();
  }
  co_return e;
}

#endif

// The cancellation signal of a task's thread, emitted on the thread's own
// executor. On the public path the thread's cancellation state is made at its
// launch (by co_spawn): a cancellation emitted before then is remembered, and
// emitted again when its bottom frame starts (started()).
class ThreadSignal {
 public:
  boost::asio::cancellation_slot slot() noexcept { return signal_.slot(); }
  void emit() {
    asked_ = true;
    signal_.emit(boost::asio::cancellation_type::terminal);
  }
  // First thing in the thread's bottom frame (`owner`: the task whose
  // cancellation this is, for its message).
  void started(const TaskNode* owner) {
    if (asked_) {
      CancelDelivery delivering(owner);
      signal_.emit(boost::asio::cancellation_type::terminal);
    }
  }
  // The cancellation was taken back (uncancel) before the thread started:
  // it is not to be emitted then.
  void withdraw() noexcept { asked_ = false; }
  // co_await it last in the thread's bottom frame. On the public path the
  // thread's bottom is co_spawn's frame, which posts itself once more when
  // the task never suspended, and that await throws when the thread was
  // cancelled: the exception would leave run(). A fresh cancellation state
  // (the task is over) keeps it quiet.
  static auto finished() {
    if constexpr (kAsioFastPath) {
      return boost::asio::this_coro::executor;  // not awaited there
    } else {
      return boost::asio::this_coro::reset_cancellation_state();
    }
  }
  // At the end of the bottom frame: on the fast path the thread has nothing
  // left to cancel, and its cancellation state's block goes back to Asio's
  // cache for the next thread. The thread still points at it, so nothing
  // after this may co_await or read this_coro's state. (On the public path
  // co_spawn's frame, which runs on, still reads it: nothing to do.)
  void release() noexcept {
    if constexpr (kAsioFastPath) signal_.slot().clear();
  }

 private:
  struct Nothing {
    Nothing& operator=(bool) noexcept { return *this; }
    explicit operator bool() const noexcept { return false; }
  };
  boost::asio::cancellation_signal signal_;
  [[no_unique_address]] std::conditional_t<kAsioFastPath, Nothing, bool> asked_{};
};

// A parked coroutine, in a primitive's WaitQueue. It lives in the parked
// coroutine's own frame, so parking allocates nothing (on the fast path); it
// is valid until it has been completed.
struct Waiter {
  // User-provided: GCC 12 value-initialised the whole node (optionals' storage
  // included) with a `rep stos` in every waiting frame, slow for 144 bytes.
  Waiter() noexcept {}

  Waiter* prev = nullptr;
  Waiter* next = nullptr;
  bool linked = false;
  void* payload = nullptr;  // primitive-specific hand-off slot (e.g. Queue's item)
  boost::system::error_code ec;  // what the wait ended with
  const TaskNode* cancelled_by = nullptr;  // see abort()
  std::optional<Parked> parked;
  // Set instead of `parked` for a waiter that is a callback, not a coroutine
  // (runtime::wait watches several tasks at once): completing it calls this,
  // on the completing thread.
  void (*on_complete)(Waiter&) = nullptr;

  // Resumes the coroutine on its own executor, never inline: a release on one
  // thread resumes a waiter on its own strand. `this` may be gone as soon as
  // this returns.
  void complete(boost::system::error_code e) {
    ec = e;
    if (on_complete) return on_complete(*this);
    Parked::resume_posted(parked);
  }

  // Completes the wait successfully, resuming the coroutine inline when this
  // thread runs its loop and it is on no strand (a one-thread loop: with
  // several threads every task has a strand), else as complete().
  // Only for a caller that has nothing left to do after this (a task at its
  // very end), so the inline run cannot interleave with its work; nested
  // inline runs are bounded, so a chain of tasks awaiting each other cannot
  // overflow the stack.
  void continue_here_or_post() {
    if (on_complete) return on_complete(*this);
    static thread_local int depth = 0;
    if (depth >= 16) return complete({});
    struct Nested {
      Nested() noexcept { ++depth; }
      ~Nested() { --depth; }
    } nested;
    if (!Parked::resume_here(parked)) complete({});
  }

  // Ends the wait with the cancellation error. Called by a cancellation
  // handler, so inside the emission of a task's cancellation: that task is
  // noted, for the message check() throws with.
  void abort() {
    cancelled_by = TaskNode::delivering();
    complete(boost::asio::error::operation_aborted);
  }

  // After the wait: throws CancelledError if it was cancelled, system_error
  // for any other error, from the waiting coroutine's frame (see
  // throw_wait_error).
  [[gnu::always_inline]] void check() const {
    if (ec) [[unlikely]] throw_wait_error(ec, cancelled_by);
  }
};

}  // namespace detail

#if RUNTIME_ASIO_FAST_PATH
// A Wait is an awaitable<WaitOp<Op>>, which Asio's await_transform checks for
// cancellation and hands back unchanged; specialised below, it is awaited
// through its own members.
template <class Op>
using Wait = boost::asio::awaitable<detail::WaitOp<Op>, Executor>;
#else
// A Wait is the coroutine that waits: try_now, else park.
template <class Op>
class WaitTask : public Task<typename Op::result_type> {
 public:
  using value_type = typename Op::result_type;
  explicit WaitTask(Op op) : Task<value_type>(body(std::move(op))) {}

 private:
  static Task<value_type> body(Op op) {
    if (!op.try_now()) {
      detail::Waiter w;
      co_await detail::park_on(op.park_hook(w));
      w.check();
    }
    co_return op.result();
  }
};
template <class Op>
using Wait = WaitTask<Op>;
#endif

}  // namespace runtime

#if RUNTIME_ASIO_FAST_PATH
namespace boost::asio {

// The resource is claimed in await_ready when it is free (no suspension at
// all), and otherwise the coroutine parks through its ParkHook right after it
// has suspended.
//
// The Waiter is made only when the coroutine parks. On the uncontended path the
// acquire's and the release's compare-and-swap are locked instructions, which
// wait for every store before them to reach the cache: a Waiter made up front
// (a dozen stores, in the Wait and again in its moved copy) doubled the cost of
// an uncontended Lock or Semaphore.
template <class Op>
class awaitable<runtime::detail::WaitOp<Op>, runtime::Executor> {
 public:
  using value_type = typename Op::result_type;
  using executor_type = runtime::Executor;

  explicit awaitable(Op op) noexcept(std::is_nothrow_move_constructible_v<Op>) : op_(std::move(op)) {}
  // Moved only before it is awaited (await_transform takes and returns it by
  // value); the waiter is never made then.
  awaitable(awaitable&& o) noexcept(std::is_nothrow_move_constructible_v<Op>) : op_(std::move(o.op_)) {
#ifndef NDEBUG
    o.moved_from_ = true;
#endif
  }
  awaitable& operator=(awaitable&&) = delete;
  ~awaitable() {
    if (parked_) waiter_.~Waiter();
  }

  bool await_ready() noexcept {
#ifndef NDEBUG
    assert(!moved_from_ && "a Wait is awaited once, where it was made or moved to");
#endif
    return op_.try_now();
  }

  template <class U>
  void await_suspend(detail::coroutine_handle<detail::awaitable_frame<U, runtime::Executor>> h) noexcept {
    frame_ = &h.promise();
    frame_->after_suspend(&park, this);
  }

  // Inlined, with check(), into the awaiting coroutine: a cancelled wait
  // throws from its frame.
  [[gnu::always_inline]] value_type await_resume() {
    if (parked_) waiter_.check();
    return op_.result();
  }

 private:
  static void park(void* self) {
    auto* a = static_cast<awaitable*>(self);
    std::construct_at(&a->waiter_);
    a->parked_ = true;
    runtime::detail::park_on(a->op_.park_hook(a->waiter_))(a->frame_);
  }

  Op op_;
  union {
    runtime::detail::Waiter waiter_;  // made by park()
  };
  runtime::detail::Frame* frame_;  // set by await_suspend
  bool parked_ = false;
#ifndef NDEBUG
  bool moved_from_ = false;
#endif
};

}  // namespace boost::asio
#endif

#if RUNTIME_ASIO_FAST_PATH
// A coroutine returning Task<T> gets TaskPromise<T> (its frame from the
// FramePool). Asio's co_spawn entry point keeps its own.
template <class T, class... Args>
  requires(!std::is_same_v<T, boost::asio::detail::awaitable_thread_entry_point>)
struct std::coroutine_traits<boost::asio::awaitable<T, runtime::Executor>, Args...> {
  using promise_type = runtime::detail::TaskPromise<T>;
};
#endif
