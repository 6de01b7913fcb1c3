// StateRef: a counted reference to a state that counts its own references
// (a task's state: its thread, its handles and the waits on it each hold one).
//
// Why not shared_ptr: a Wait is moved twice on its way into co_await (Asio's
// await_transform takes and returns it by value), and a shared_ptr copied
// just before, written as two 8-byte stores, is read back by one 16-byte
// load, which the CPU cannot forward from the stores: perf put ~14% of
// create_task + await's time on such stalls. One word has no such seam.
#pragma once

#include <type_traits>
#include <utility>

namespace runtime::detail {

// S provides add_ref() and release() (which destroys it at zero).
template <class S>
class StateRef {
 public:
  StateRef() noexcept = default;
  // Takes over a reference the caller holds (a new state's first).
  static StateRef adopt(S* s) noexcept { return StateRef(s); }
  // Takes a new reference.
  static StateRef share(S* s) noexcept {
    s->add_ref();
    return StateRef(s);
  }

  StateRef(const StateRef& o) noexcept : s_(o.s_) {
    if (s_) s_->add_ref();
  }
  StateRef(StateRef&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  // A reference to a derived state, as one to its base (a task's state as
  // its TaskNode).
  template <class D>
    requires(std::is_convertible_v<D*, S*> && !std::is_same_v<D, S>)
  StateRef(StateRef<D>&& o) noexcept : s_(o.detach()) {}
  StateRef& operator=(StateRef o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~StateRef() {
    if (s_) s_->release();
  }

  S* get() const noexcept { return s_; }
  S* operator->() const noexcept { return s_; }
  S& operator*() const noexcept { return *s_; }
  explicit operator bool() const noexcept { return s_ != nullptr; }
  // Gives up the reference without releasing it (the caller takes it over).
  S* detach() noexcept { return std::exchange(s_, nullptr); }

 private:
  explicit StateRef(S* s) noexcept : s_(s) {}
  S* s_ = nullptr;
};

}  // namespace runtime::detail
