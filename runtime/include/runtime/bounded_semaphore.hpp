// BoundedSemaphore: asyncio.BoundedSemaphore. A Semaphore whose release()
// throws ReleasedTooManyTimes instead of adding a permit that was never taken.
//
//   runtime::BoundedSemaphore sem(2);
//   auto permit = co_await sem.acquire();   // gives its permit back itself
//   sem.release();                          // throws: no permit is out to give back
//
// A Permit always gives back exactly what it took, so only a bare release()
// can release too many: it must match a Permit::detach(). asyncio checks the
// count instead (a release is refused once the count is back at its start),
// which lets a stray release() pass while a holder is still inside and fail
// that holder's own release later; counting detached permits refuses the
// stray release itself.
#pragma once

#include <stdexcept>

#include "runtime/semaphore.hpp"

namespace runtime {

// asyncio raises ValueError; here misuse is a std::logic_error.
struct ReleasedTooManyTimes : std::logic_error {
  ReleasedTooManyTimes() : std::logic_error("BoundedSemaphore released too many times") {}
};

class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(std::size_t permits) : Semaphore(permits, /*bounded=*/true) {}
};

}  // namespace runtime
