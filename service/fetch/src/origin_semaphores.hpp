// OriginSemaphores: the service-wide semaphore of each origin
// (global_per_host_concurrency), made when first asked for and dropped when
// the last reference goes. A fan-out holds a reference for as long as it has
// URLs of the origin to start or in flight, so only origins in use are tracked.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "runtime/semaphore.hpp"

namespace asyncfetch {

class OriginSemaphores {
 public:
  explicit OriginSemaphores(std::size_t permits) : permits_(permits), state_(std::make_shared<State>()) {}

  // The one semaphore of `origin` while any reference to it lives.
  std::shared_ptr<runtime::Semaphore> get(const std::string& origin);
  // Origins tracked now.
  std::size_t size() const;

 private:
  struct State {
    mutable std::mutex m;
    std::unordered_map<std::string, std::weak_ptr<runtime::Semaphore>> by_origin;
  };
  const std::size_t permits_;
  // Shared with each semaphore's deleter, which takes the origin out.
  std::shared_ptr<State> state_;
};

}  // namespace asyncfetch
