// A Lock or Semaphore made on a loop of one thread belongs to that loop, as
// asyncio's primitives belong to theirs: only that thread ever touches it, so
// its uncontended acquire and release are a plain load and store, not two
// atomic read-modify-writes (each ~6 ns on some x86 machines, a tenth of the
// whole operation's budget against asyncio). Elsewhere (several loop threads,
// or made outside any loop) it stays atomic and may be shared.
#pragma once

namespace runtime::detail {

class Loop;

// The calling thread's loop when it runs on one thread, else null.
Loop* one_thread_loop_here() noexcept;
// `loop` is run by the calling thread.
bool runs_here(const Loop* loop) noexcept;
// std::logic_error: `what` of a one-thread loop used from another thread.
[[noreturn]] void throw_other_loop(const char* what);

}  // namespace runtime::detail
