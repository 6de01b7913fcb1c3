// `asyncfetch --health-check`: asks the running service's /healthz and exits 0
// when it answers 200. For container HEALTHCHECKs: no curl needed in the image.
#pragma once

#include "asyncfetch/config.hpp"

namespace asyncfetch {

// GET /healthz on the configured address (0.0.0.0 / :: mean this host) and
// port, within `timeout_ms`. Returns the process exit code: 0 healthy, 1 not.
int health_check(const Config& config, int timeout_ms = 2000);

}  // namespace asyncfetch
