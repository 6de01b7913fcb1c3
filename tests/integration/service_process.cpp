#include "service_process.hpp"

#include <cstdio>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "client.hpp"

extern char** environ;

namespace it {

namespace {

using Clock = std::chrono::steady_clock;

// The child's environment: ours without ASYNCFETCH_* (an unknown one makes
// the service exit 2) and without the proxy variables (the service honours
// them, and a test's upstreams are on loopback), plus the test's own.
std::vector<std::string> child_env(const std::vector<std::string>& extra) {
  static const char* const proxy_vars[] = {"HTTP_PROXY=", "http_proxy=", "HTTPS_PROXY=", "https_proxy=",
                                           "NO_PROXY=",   "no_proxy=",   "ALL_PROXY=",   "all_proxy="};
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "ASYNCFETCH_", 11) == 0) continue;
    bool proxy = false;
    for (const char* v : proxy_vars) proxy = proxy || std::strncmp(*e, v, std::strlen(v)) == 0;
    if (!proxy) env.emplace_back(*e);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("free_port: bind failed");
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

Service::Service(ServiceOptions options) {
  char tmpl[] = "/tmp/asyncfetch-it-log-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  log_path_ = tmpl;
  // The port is free when picked, but another process may take it before the
  // child binds: then the child exits at once, and we try another port.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (spawn(options)) return;
    if (log().find("cannot listen") == std::string::npos) break;
  }
  throw std::runtime_error("asyncfetch did not start; its log:\n" + log());
}

bool Service::spawn(const ServiceOptions& options) {
  port_ = free_port();
  std::vector<std::string> args = {ASYNCFETCH_BINARY, "--config=", "--listen_address", "127.0.0.1",
                                    "--port", std::to_string(port_), "--threads", "2",
                                    "--log_level", "info"};
  args.push_back(options.allow_loopback ? "--allow_cidrs=127.0.0.0/8" : "--allow_cidrs=");
  args.insert(args.end(), options.flags.begin(), options.flags.end());
  auto env = child_env(options.env);
  auto argv = c_strings(args);
  auto envp = c_strings(env);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
  int rc = posix_spawn(&pid_, ASYNCFETCH_BINARY, &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error(std::string("posix_spawn failed: ") + std::strerror(rc));
  exit_code_.reset();
  if (!options.wait_healthy) return true;

  const auto until = Clock::now() + std::chrono::seconds(10);
  bool healthy = false;
  while (Clock::now() < until) {
    if (wait_exit(std::chrono::milliseconds(0))) return false;
    if (get(port_, "/healthz", {}, std::chrono::milliseconds(500)).status == 200) {
      healthy = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!healthy) {
    stop(std::chrono::seconds(2));
    throw std::runtime_error("asyncfetch: /healthz did not answer within 10 s; its log:\n" + log());
  }
  if (options.wait_ready) {
    while (get(port_, "/readyz", {}, std::chrono::milliseconds(500)).status != 200) {
      if (Clock::now() >= until) {
        stop(std::chrono::seconds(2));
        throw std::runtime_error("asyncfetch: /readyz not 200 within 10 s; its log:\n" + log());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return true;
}

Service::~Service() {
  if (running()) stop(std::chrono::seconds(5));
  // A service that did not exit cleanly (a sanitizer report, a crash) leaves
  // its log in the test output: the failing CHECK alone would not say why.
  if (exit_code_ && *exit_code_ != 0) std::fprintf(stderr, "asyncfetch exited with %d; its log:\n%s\n", *exit_code_, log().c_str());
  ::unlink(log_path_.c_str());
}

void Service::signal(int sig) const {
  if (!exit_code_) ::kill(pid_, sig);
}

std::optional<int> Service::wait_exit(std::chrono::milliseconds bound) {
  if (exit_code_) return exit_code_;
  const auto until = Clock::now() + bound;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      return exit_code_;
    }
    if (Clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int Service::stop(std::chrono::milliseconds bound) {
  if (exit_code_) return *exit_code_;
  signal(SIGTERM);
  if (auto code = wait_exit(bound)) return *code;
  ::kill(pid_, SIGKILL);
  wait_exit(std::chrono::seconds(5));
  exit_code_ = -1;
  return -1;
}

std::string Service::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<nlohmann::json> Service::log_entries(const std::string& msg) const {
  std::vector<nlohmann::json> out;
  std::istringstream in(log());
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("msg", "") == msg) out.push_back(std::move(j));
  }
  return out;
}

}  // namespace it
