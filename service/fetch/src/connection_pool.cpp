#include "connection_pool.hpp"

#include <algorithm>

namespace asyncfetch {

namespace {

// The calling thread's shard: loop threads are numbered as they first get
// here, so the 1..8 threads of a loop each have a shard of their own.
std::size_t my_shard(std::size_t shards) {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t mine = next.fetch_add(1);
  return mine % shards;
}

// Closes an idle connection the pool has no room for with a reset instead of
// the FIN handshake: nothing is in flight on it, and a fan-out that opened
// thousands of connections to one host would otherwise leave thousands of
// sockets in TIME_WAIT (holding local ports for a minute) and spend the
// kernel time of two handshakes per connection. (TLS: no close_notify either;
// the peer sees the connection reset while idle.)
void close_abortively(Connection& c) {
  if (!c.plain && !c.tls) return;
  boost::system::error_code ignored;  // best effort: the socket is closed either way
  c.socket().set_option(boost::asio::socket_base::linger(true, 0), ignored);
  // Closed here: Asio's socket destructor turns lingering off again first.
  c.socket().close(ignored);
}

}  // namespace

std::unique_ptr<Connection> ConnectionPool::take_from(Shard& s, const std::string& origin,
                                                      std::vector<std::unique_ptr<Connection>>& stale) {
  std::lock_guard lk(s.m);
  auto it = s.idle.find(origin);
  if (it == s.idle.end()) return nullptr;
  auto& list = it->second;
  auto now = std::chrono::steady_clock::now();
  std::unique_ptr<Connection> found;
  while (!list.empty()) {
    auto c = std::move(list.back());
    list.pop_back();
    count_.fetch_sub(1, std::memory_order_relaxed);
    c->origin_idle->fetch_sub(1, std::memory_order_relaxed);
    if (now - c->idle_since < idle_timeout_) {
      found = std::move(c);
      break;
    }
    stale.push_back(std::move(c));
  }
  if (list.empty()) s.idle.erase(it);
  return found;
}

std::unique_ptr<Connection> ConnectionPool::take(const std::string& origin) {
  if (count_.load(std::memory_order_relaxed) == 0) return nullptr;
  std::vector<std::unique_ptr<Connection>> stale;  // closed outside the locks
  const std::size_t home = my_shard(shards);
  for (std::size_t k = 0; k < shards; ++k) {
    if (auto c = take_from(shards_[(home + k) % shards], origin, stale)) return c;
  }
  return nullptr;
}

void ConnectionPool::adopt(Connection& c) {
  std::lock_guard lk(counters_m_);
  // Now and then (amortised O(1)) forget the origins no connection refers to
  // any more: a service that fetches from ever new hosts must not keep a
  // counter for each of them forever. Only adopt() hands counters out, so one
  // that only the map holds cannot be picked up meanwhile.
  if (counters_.size() >= sweep_at_) {
    std::erase_if(counters_, [](const auto& kv) { return kv.second.use_count() == 1; });
    sweep_at_ = std::max<std::size_t>(64, 2 * counters_.size());
  }
  auto& counter = counters_[c.origin];
  if (!counter) counter = std::make_shared<std::atomic<std::size_t>>(0);
  c.origin_idle = counter;
}

void ConnectionPool::put(std::unique_ptr<Connection> c) {
  if (max_idle_ == 0) return close_abortively(*c);
  if (!c->origin_idle) adopt(*c);
  // Reserve a place under the origin's cap first; `c` is closed when there is none.
  if (c->origin_idle->fetch_add(1, std::memory_order_relaxed) >= max_idle_) {
    c->origin_idle->fetch_sub(1, std::memory_order_relaxed);
    close_abortively(*c);
    return;
  }
  c->idle_since = std::chrono::steady_clock::now();
  auto& s = shards_[my_shard(shards)];
  std::lock_guard lk(s.m);
  s.idle[c->origin].push_back(std::move(c));
  count_.fetch_add(1, std::memory_order_relaxed);
}

void ConnectionPool::clear() {
  for (auto& s : shards_) {
    decltype(s.idle) all;
    {
      std::lock_guard lk(s.m);
      all.swap(s.idle);
    }
    for (auto& [_, list] : all) {
      count_.fetch_sub(list.size(), std::memory_order_relaxed);
      for (auto& c : list) c->origin_idle->fetch_sub(1, std::memory_order_relaxed);
    }
  }
}

std::size_t ConnectionPool::idle() const { return count_.load(std::memory_order_relaxed); }

std::size_t ConnectionPool::origins_tracked() const {
  std::lock_guard lk(counters_m_);
  return counters_.size();
}

}  // namespace asyncfetch
