// After a hostile peer: the proof that nothing leaked. The service's
// in_flight comes back to 0, it still answers, and a fan-out at the full
// global concurrency still runs that many fetches at once at the upstream
// (a permit held by a dead fetch would show as fewer).
#pragma once

#include <string>

#include "service_process.hpp"
#include "upstream.hpp"

namespace it {

// The service-wide bound the hostile tests start the service with
// (hostile_global_flag): small, so that one leaked permit shows.
inline constexpr int hostile_global = 4;
inline const std::string hostile_global_flag = "--global_concurrency=" + std::to_string(hostile_global);

// `global_concurrency`: what the service was started with (--global_concurrency).
void check_recovered(const Service& svc, Upstream& up, int global_concurrency);

}  // namespace it
