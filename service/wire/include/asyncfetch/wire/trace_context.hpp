// W3C Trace Context (https://www.w3.org/TR/trace-context/): the traceparent
// header a /fetch request may carry, and the one each outbound fetch sends.
//
//   traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
//                version-trace id (16 bytes)-parent id (8 bytes)-flags
//
// Parsing follows the spec's rules: lower-case hex only; all-zero ids and
// version ff are invalid; version 00 is exactly 55 characters; a higher
// version is read for its first four fields when they are followed by the end
// or a '-', and only its sampled flag is kept. Blanks around the value are
// ignored. (A request with two traceparent fields has none: the caller's
// concern, it sees the fields.)
//
// New ids come from a per-thread std::mt19937_64 seeded from std::random_device:
// unpredictable enough to keep traces apart, not meant as secrets.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace asyncfetch {

struct TraceContext {
  static constexpr std::uint8_t sampled_flag = 0x01;

  std::array<std::uint8_t, 16> trace_id{};
  std::array<std::uint8_t, 8> parent_id{};
  std::uint8_t flags = 0;

  bool sampled() const noexcept { return (flags & sampled_flag) != 0; }
  friend bool operator==(const TraceContext&, const TraceContext&) = default;
};

// nullopt when the value is not a valid traceparent: the trace is restarted.
std::optional<TraceContext> parse_traceparent(std::string_view value);

// A new trace: random trace and parent ids, flags 00 (the service makes no
// recording decision; the spec's default for a trace a component starts).
TraceContext start_trace();

// The context an outbound request carries: the same trace id and flags, a
// fresh parent id.
TraceContext child_of(const TraceContext& parent);

// "00-<trace id>-<parent id>-<flags>", always version 00 (the highest known).
std::string format_traceparent(const TraceContext& context);

// The trace id as 32 lower-case hex digits, as logs carry it.
std::string trace_id_hex(const TraceContext& context);

}  // namespace asyncfetch
