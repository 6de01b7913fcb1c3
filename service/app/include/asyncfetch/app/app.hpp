// The service's lifecycle: listen first (so /healthz answers at once), warm up,
// become ready, serve until SIGINT/SIGTERM, then drain and exit 0.
#pragma once

#include "asyncfetch/config.hpp"
#include "runtime/task.hpp"

namespace asyncfetch {

// The process exit code: 0 after a clean drain, 1 when start-up failed.
runtime::Task<int> run_service(const Config& config);

}  // namespace asyncfetch
