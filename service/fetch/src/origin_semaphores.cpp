#include "origin_semaphores.hpp"

namespace asyncfetch {

std::shared_ptr<runtime::Semaphore> OriginSemaphores::get(const std::string& origin) {
  std::lock_guard lk(state_->m);
  auto& slot = state_->by_origin[origin];
  if (auto sem = slot.lock()) return sem;
  // None, or one whose last reference is going (its deleter waits for the
  // mutex and then leaves this new one alone).
  std::shared_ptr<runtime::Semaphore> sem(
      new runtime::Semaphore(permits_), [st = std::weak_ptr<State>(state_), origin](runtime::Semaphore* s) {
        if (auto state = st.lock()) {
          std::lock_guard lk(state->m);
          const auto it = state->by_origin.find(origin);
          if (it != state->by_origin.end() && it->second.expired()) state->by_origin.erase(it);
        }
        delete s;
      });
  slot = sem;
  return sem;
}

std::size_t OriginSemaphores::size() const {
  std::lock_guard lk(state_->m);
  return state_->by_origin.size();
}

}  // namespace asyncfetch
