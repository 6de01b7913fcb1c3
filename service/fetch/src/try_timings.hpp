// Where one try's time goes (include_timings). A try may make several
// connections (a redirect to another origin): each phase is the sum over the
// try's connections, and a phase none of them went through stays none (DNS
// for an IP literal, TLS for http, all three on a reused connection). A phase
// that failed counts too: that is where the time went. ttfb is the last
// response head's, since the try's start (its redirects included).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>

#include "asyncfetch/wire/fetch_result.hpp"

namespace asyncfetch {

class TryTimings {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Phase : std::size_t { dns, connect, tls };

  explicit TryTimings(Clock::time_point start) noexcept : start_(start) {}
  Clock::time_point started() const noexcept { return start_; }

  void add(Phase p, Clock::duration d) noexcept {
    auto& sum = phases_[static_cast<std::size_t>(p)];
    sum = sum.value_or(Clock::duration::zero()) + d;
  }
  // The first byte of a response head came (each hop's replaces the last).
  void response_began(Clock::time_point at) noexcept { first_byte_ = at; }

  FetchTimings finish(Clock::time_point end) const noexcept {
    FetchTimings t;
    t.dns_ms = ms(phases_[static_cast<std::size_t>(Phase::dns)]);
    t.connect_ms = ms(phases_[static_cast<std::size_t>(Phase::connect)]);
    t.tls_ms = ms(phases_[static_cast<std::size_t>(Phase::tls)]);
    if (first_byte_) t.ttfb_ms = ms(*first_byte_ - start_);
    t.total_ms = ms(end - start_);
    return t;
  }

 private:
  static double ms(Clock::duration d) noexcept { return std::chrono::duration<double, std::milli>(d).count(); }
  static std::optional<double> ms(const std::optional<Clock::duration>& d) noexcept {
    if (!d) return std::nullopt;
    return ms(*d);
  }

  Clock::time_point start_;
  std::array<std::optional<Clock::duration>, 3> phases_{};
  std::optional<Clock::time_point> first_byte_;
};

}  // namespace asyncfetch
