#include "runtime/timeout_scope.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <optional>
#include <stdexcept>

namespace runtime {

// Lives as long as the scope or a timer handler still queued (the handler
// holds it). Touched only on the executor of the task that runs the scope.
struct Timeout::State : std::enable_shared_from_this<State> {
  enum class Phase { created, entered, expiring, exited };

  std::optional<Clock::time_point> when;
  Phase phase = Phase::created;
  bool expired = false;
  Body body;
  std::optional<boost::asio::steady_timer> timer;  // from arm() to leave()
  // Bumped by every re-arm: a handler of an earlier wait, already queued
  // with success when the deadline moved, is then ignored.
  unsigned generation = 0;

  struct Fire {
    std::shared_ptr<State> st;
    unsigned generation;
    void operator()(boost::system::error_code ec) const {
      if (!ec) st->fire(generation);
    }
  };

  void wait_for_deadline() {
    ++generation;
    if (!timer) return;  // arm() starts the wait
    timer->cancel();
    if (!when) return;
    timer->expires_at(*when);
    timer->async_wait(Fire{shared_from_this(), generation});
  }

  void fire(unsigned gen) {
    if (gen != generation || phase != Phase::entered) return;
    if (!body.expire(body.run.get())) return;  // the body finished first
    phase = Phase::expiring;
    expired = true;
  }
};

Timeout::Timeout(std::optional<Clock::time_point> when) : st_(std::make_shared<State>()) { st_->when = when; }

Timeout::~Timeout() = default;

std::optional<Timeout::Clock::time_point> Timeout::when() const noexcept { return st_->when; }

bool Timeout::expired() const noexcept { return st_->expired; }

void Timeout::reschedule(std::optional<Clock::time_point> when) {
  if (st_->phase == State::Phase::expiring || st_->phase == State::Phase::exited)
    throw std::logic_error("runtime::Timeout: reschedule after the deadline has passed or the scope has ended");
  st_->when = when;
  st_->wait_for_deadline();
}

void Timeout::enter() {
  if (st_->phase != State::Phase::created) throw std::logic_error("runtime::Timeout: a scope is entered once");
  st_->phase = State::Phase::entered;
}

void Timeout::arm(const Executor& ex, Body body) {
  st_->body = std::move(body);
  st_->timer.emplace(ex);
  st_->wait_for_deadline();
}

void Timeout::leave() noexcept {
  st_->phase = State::Phase::exited;
  ++st_->generation;
  st_->timer.reset();  // a pending wait ends with operation_aborted
  st_->body = Body{};
}

Timeout timeout(Timeout::Clock::duration delay) { return Timeout(Timeout::Clock::now() + delay); }

Timeout timeout_at(std::optional<Timeout::Clock::time_point> when) { return Timeout(when); }

}  // namespace runtime
