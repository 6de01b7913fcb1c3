#include "connection_pool.hpp"

namespace asyncfetch {

std::unique_ptr<Connection> ConnectionPool::take(const std::string& origin) {
  std::vector<std::unique_ptr<Connection>> stale;  // closed outside the lock
  std::unique_ptr<Connection> found;
  {
    std::lock_guard lk(m_);
    auto it = idle_.find(origin);
    if (it == idle_.end()) return nullptr;
    auto& list = it->second;
    auto now = std::chrono::steady_clock::now();
    while (!list.empty()) {
      auto c = std::move(list.back());
      list.pop_back();
      --count_;
      if (now - c->idle_since < idle_timeout_) {
        found = std::move(c);
        break;
      }
      stale.push_back(std::move(c));
    }
    if (list.empty()) idle_.erase(it);
  }
  return found;
}

void ConnectionPool::put(std::unique_ptr<Connection> c) {
  if (max_idle_ == 0) return;
  c->idle_since = std::chrono::steady_clock::now();
  std::lock_guard lk(m_);
  auto& list = idle_[c->origin];
  if (list.size() >= max_idle_) return;  // `c` is closed as it goes out of scope
  list.push_back(std::move(c));
  ++count_;
}

void ConnectionPool::clear() {
  decltype(idle_) all;
  std::lock_guard lk(m_);
  all.swap(idle_);
  count_ = 0;
}

std::size_t ConnectionPool::idle() const {
  std::lock_guard lk(m_);
  return count_;
}

}  // namespace asyncfetch
