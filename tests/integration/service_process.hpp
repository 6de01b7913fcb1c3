// The real `asyncfetch` binary as a child process: no config file, a free
// loopback port, loopback upstreams allowed (unless a test says otherwise),
// stderr captured to a temp file. Start-up waits (bounded) for /healthz and,
// by default, /readyz; stop() sends SIGTERM and returns the exit code,
// killing the child if it hangs.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace it {

struct ServiceOptions {
  std::vector<std::string> flags = {};  // after the defaults, so they win ("--key=value" or "--key", "value")
  std::vector<std::string> env = {};  // "NAME=value" added to the child's environment
  bool allow_loopback = true;      // --allow_cidrs 127.0.0.0/8
  bool wait_ready = true;          // wait for /readyz 200 (else only /healthz)
  bool wait_healthy = true;        // wait for /healthz (false: the child may exit at once)
};

class Service {
 public:
  explicit Service(ServiceOptions options = {});
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  void signal(int sig) const;
  // The exit code once the child has exited within `bound`; -1 when killed by a signal.
  std::optional<int> wait_exit(std::chrono::milliseconds bound);
  // SIGTERM, then wait up to `bound`; SIGKILL after that. Returns the exit code
  // (-1 when the child had to be killed or died by a signal).
  int stop(std::chrono::milliseconds bound = std::chrono::seconds(15));
  bool running() const { return !exit_code_.has_value(); }

  // Everything the child wrote to stderr so far.
  std::string log() const;
  // Its log lines (one JSON object each) whose "msg" is `msg`, in order.
  std::vector<nlohmann::json> log_entries(const std::string& msg) const;

 private:
  bool spawn(const ServiceOptions& options);

  std::string log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// A port on 127.0.0.1 that was free a moment ago.
int free_port();

}  // namespace it
