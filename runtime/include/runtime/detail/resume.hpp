// How the runtime resumes a suspended coroutine: the cheapest correct trip
// through the loop.
//
// post_to() queues a resumption on the coroutine's executor, reaching past
// any_io_executor's type erasure to the loop's two concrete executors (a
// strand, or the io_context itself): each require/prefer on the type-erased
// executor builds a new one, which costs more than the post.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <memory>
#include <optional>
#include <utility>

#include "runtime/detail/task_type.hpp"

namespace runtime::detail {

using IoExecutor = boost::asio::io_context::executor_type;
using IoStrand = boost::asio::strand<IoExecutor>;

// On the thread of the one-thread loop whose io_context is `ctx`: queues `f`
// in that loop's ready queue, behind the tasks' launches and wake-ups queued
// before it, and returns true; else false, `f` untouched (asio_path.hpp).
template <class F>
bool post_on_own_loop(boost::asio::io_context& ctx, F& f);

// Queues `f` on `ex`, never running it inline. `f` should be a plain function
// object (no associated executor), so that Asio does not wrap it in a second
// dispatch through that executor.
template <class F>
void post_to(const Executor& ex, F&& f) {
  if (auto* io = ex.target<IoExecutor>()) {
    if (!post_on_own_loop(io->context(), f)) boost::asio::post(*io, std::forward<F>(f));
  } else if (auto* s = ex.target<IoStrand>()) {
    boost::asio::post(*s, std::forward<F>(f));
  } else {
    boost::asio::post(ex, std::forward<F>(f));
  }
}

// Where a parked coroutine will be resumed, resolved once when it parks (a
// type-erased executor's target lookup compares type names), together with a
// hold that keeps its loop from running out of work meanwhile, as a pending
// Asio operation would: without it run() could return while a task still waits
// for a Future set by a foreign thread or a to_thread result.
class ResumePoint {
 public:
  // `hold` false: on the io_context itself (no strand), no hold is taken, for
  // a coroutine whose wait is for something of its own one-thread loop that
  // keeps that loop running until it wakes it (see Parked).
  explicit ResumePoint(const Executor& ex, bool hold = true) {
    if (auto* io = ex.target<IoExecutor>()) {
      ctx_ = &io->context();
      if (hold) io_.emplace(*io);
    } else if (auto* s = ex.target<IoStrand>()) {
      strand_.emplace(*s);
      io_.emplace(s->get_inner_executor());
    } else {
      other_ = std::make_unique<boost::asio::executor_work_guard<Executor>>(ex);
    }
  }

  // True on a thread that is running the loop this resumes on, when that
  // loop has one thread (no strand): resuming inline is then in order.
  bool runs_here() const noexcept { return !strand_ && ctx_ && ctx_->get_executor().running_in_this_thread(); }

  // The io_context it resumes on, when on no strand; else null.
  boost::asio::io_context* plain_context() const noexcept { return strand_ ? nullptr : ctx_; }

  // Queues `f` there (never inline). The hold lasts as long as this object:
  // a completer on a foreign thread must not let the loop end and be
  // destroyed while it is still inside post().
  template <class F>
  void post(F&& f) {
    if (strand_) {
      boost::asio::post(*strand_, std::forward<F>(f));
    } else if (ctx_) {
      if (!post_on_own_loop(*ctx_, f)) boost::asio::post(ctx_->get_executor(), std::forward<F>(f));
    } else {
      boost::asio::post(other_->get_executor(), std::forward<F>(f));
    }
  }

 private:
  // Declared first so that it is destroyed last: once the hold is released
  // the loop may end and destroy its io_context, and the strand handle's
  // destructor still touches that context's strand service.
  std::optional<boost::asio::executor_work_guard<IoExecutor>> io_;
  boost::asio::io_context* ctx_ = nullptr;  // the io_context, with or without the hold
  std::optional<IoStrand> strand_;
  // A coroutine on an executor of its own (not one of the loop's): rare, and
  // its type-erased guard is large, so it lives apart and the Waiter, which
  // is in every waiting frame, stays small.
  std::unique_ptr<boost::asio::executor_work_guard<Executor>> other_;
};

}  // namespace runtime::detail
