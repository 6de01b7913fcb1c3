#include "h2/registry.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

namespace asyncfetch::h2 {

using Clock = std::chrono::steady_clock;

struct Registry::State final : ConnectionOwner {
  struct Origin {
    std::vector<std::shared_ptr<Connection>> connections;  // oldest first
    std::shared_ptr<PendingConnect> pending;
    Clock::time_point http1_until{};

    bool unused(Clock::time_point now) const { return connections.empty() && !pending && now >= http1_until; }
  };

  State(Session::Limits l, std::chrono::milliseconds idle) : limits(l), idle_timeout(idle) {}

  // Now and then (amortised O(1)) forget the origins nothing refers to any
  // more: a service that fetches from ever new hosts keeps no entry for each.
  void sweep(Clock::time_point now) {
    if (origins.size() < sweep_at) return;
    std::erase_if(origins, [&](const auto& kv) { return kv.second.unused(now); });
    sweep_at = std::max<std::size_t>(64, 2 * origins.size());
  }

  void remove(Connection& c) {
    const auto it = origins.find(c.origin());
    if (it == origins.end()) return;
    std::erase_if(it->second.connections, [&](const auto& p) { return p.get() == &c; });
    if (it->second.unused(Clock::now())) origins.erase(it);
  }

  void settle(const std::shared_ptr<PendingConnect>& p, const std::string& origin) {
    const auto it = origins.find(origin);
    if (it != origins.end() && it->second.pending == p) {
      it->second.pending.reset();
      if (it->second.unused(Clock::now())) origins.erase(it);
    }
  }

  bool retire_if_idle(Connection& c) override {
    std::lock_guard lk(m);
    if (c.streams.load() != 0) return false;
    c.accepting = false;
    remove(c);
    return true;
  }

  void forget(Connection& c) override {
    std::lock_guard lk(m);
    remove(c);
  }

  const Session::Limits limits;
  const std::chrono::milliseconds idle_timeout;
  mutable std::mutex m;
  std::unordered_map<std::string, Origin> origins;
  std::size_t sweep_at = 64;
};

Registry::Registry(Session::Limits limits, std::chrono::milliseconds idle_timeout)
    : st_(std::make_shared<State>(limits, idle_timeout)) {}

Registry::~Registry() {
  std::vector<std::shared_ptr<Connection>> all;
  {
    std::lock_guard lk(st_->m);
    for (auto& [_, o] : st_->origins)
      for (auto& c : o.connections) all.push_back(std::move(c));
    st_->origins.clear();
  }
  for (auto& c : all) c->close();
}

Registry::Choice Registry::choose(const std::string& origin) {
  const auto now = Clock::now();
  std::lock_guard lk(st_->m);
  st_->sweep(now);
  auto& o = st_->origins[origin];
  // On the stack for the few connections an origin usually has: no allocation per stream placed.
  std::array<ConnectionLoad, 8> few;
  std::vector<ConnectionLoad> many;
  if (o.connections.size() > few.size()) many.resize(o.connections.size());
  const std::span<ConnectionLoad> loads =
      many.empty() ? std::span<ConnectionLoad>(few.data(), o.connections.size()) : std::span<ConnectionLoad>(many);
  for (std::size_t i = 0; i < o.connections.size(); ++i) {
    const auto& c = *o.connections[i];
    loads[i] = {c.streams.load(), c.capacity.load(), c.accepting.load()};
  }
  const Placement p = place(loads, o.pending != nullptr, now < o.http1_until);
  Choice choice{p.kind, nullptr, nullptr};
  switch (p.kind) {
    case Placement::use_connection:
      choice.connection = o.connections[p.index];
      choice.connection->streams.fetch_add(1);  // only ever raised under this lock
      break;
    case Placement::wait_for_connect:
      choice.pending = o.pending;
      break;
    case Placement::connect:
      choice.pending = o.pending = std::make_shared<PendingConnect>();
      break;
    case Placement::http1:
      break;
  }
  return choice;
}

std::shared_ptr<Connection> Registry::make(const std::string& origin, std::unique_ptr<Connection::TlsStream> tls) {
  return std::make_shared<Connection>(origin, std::move(tls), st_->limits, st_->idle_timeout, st_);
}

void Registry::connected(const std::shared_ptr<PendingConnect>& p, std::shared_ptr<Connection> c) {
  {
    std::lock_guard lk(st_->m);
    const auto origin = c->origin();
    st_->origins[origin].connections.push_back(std::move(c));
    st_->settle(p, origin);
  }
  p->settled.set_value();
}

void Registry::speaks_http1(const std::shared_ptr<PendingConnect>& p, const std::string& origin) {
  {
    std::lock_guard lk(st_->m);
    st_->origins[origin].http1_until = Clock::now() + st_->idle_timeout;
    st_->settle(p, origin);
  }
  p->settled.set_value();
}

void Registry::failed(const std::shared_ptr<PendingConnect>& p, const std::string& origin,
                      std::optional<FetchError> shared, std::string detail) {
  {
    std::lock_guard lk(st_->m);
    st_->settle(p, origin);
  }
  p->error = shared;
  p->detail = std::move(detail);
  p->settled.set_value();
}

void Registry::close_idle() {
  std::vector<std::shared_ptr<Connection>> idle;
  {
    std::lock_guard lk(st_->m);
    for (auto& [_, o] : st_->origins) {
      std::erase_if(o.connections, [&](const auto& c) {
        if (c->streams.load() != 0) return false;
        c->accepting = false;
        idle.push_back(c);
        return true;
      });
    }
  }
  for (auto& c : idle) c->close();
}

std::size_t Registry::connections() const {
  std::lock_guard lk(st_->m);
  std::size_t n = 0;
  for (const auto& [_, o] : st_->origins) n += o.connections.size();
  return n;
}

}  // namespace asyncfetch::h2
