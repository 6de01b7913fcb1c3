// asyncfetch: load the configuration, then run the service on the runtime.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string_view>
#include <thread>
#include <vector>

#include "asyncfetch/app/app.hpp"
#include "asyncfetch/app/health_probe.hpp"
#include "asyncfetch/config.hpp"
#include "asyncfetch/telemetry/log.hpp"
#include "runtime/run.hpp"

extern char** environ;

namespace {

// Each in-flight fetch and each client holds a descriptor: take what the hard limit allows.
rlim_t raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

}  // namespace

int main(int argc, char** argv) {
  // `--health-check` (anywhere): probe the running service instead of being it.
  bool probe = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (i > 0 && std::string_view(argv[i]) == "--health-check") {
      probe = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  asyncfetch::LoadResult loaded;
  try {
    loaded = asyncfetch::load_config(static_cast<int>(args.size()), args.data(), environ);
  } catch (const asyncfetch::ConfigError& e) {
    std::fprintf(stderr, "asyncfetch: %s\n", e.what());
    return 2;
  }
  if (loaded.help) {
    std::cout << asyncfetch::help_text()
              << "\n--health-check: ask the running service's /healthz (at listen_address:port) and exit 0 if healthy\n";
    return 0;
  }
  if (probe) return asyncfetch::health_check(loaded.config);
  const auto& config = loaded.config;
  asyncfetch::log::set_level(config.log_level);
  std::signal(SIGPIPE, SIG_IGN);

  const unsigned threads = config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  const auto fds = raise_fd_limit();
  asyncfetch::log::info("starting", {{"config", loaded.config_path.empty() ? "(defaults)" : loaded.config_path},
                                     {"threads", threads},
                                     {"fd_limit", static_cast<std::uint64_t>(fds)}});
  if (fds < static_cast<rlim_t>(config.global_concurrency) + config.max_connections / 8 + 64) {
    asyncfetch::log::warn("file descriptor limit is low for the configured concurrency",
                          {{"fd_limit", static_cast<std::uint64_t>(fds)},
                           {"global_concurrency", config.global_concurrency}});
  }
  try {
    return runtime::run(asyncfetch::run_service(config), threads);
  } catch (const std::exception& e) {
    asyncfetch::log::error("fatal", {{"what", e.what()}});
    return 1;
  }
}
