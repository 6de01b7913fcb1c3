#include "h2_upstreams.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "service_process.hpp"

extern char** environ;

namespace it {

namespace {

// Starts `argv` with stdin and stdout as given (-1: inherited).
pid_t spawn(std::vector<std::string> argv, int in_fd, int out_fd) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (in_fd >= 0) posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
  if (out_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
  }
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

void stop(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace

GoUpstream::GoUpstream(const TlsFiles& tls, bool http1_only) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> argv = {H2_UPSTREAM_BINARY, "-cert", tls.cert, "-key", tls.key};
  if (http1_only) argv.push_back("-h1");
  pid_ = spawn(argv, in[0], out[1]);
  ::close(in[0]);
  ::close(out[1]);
  stdin_fd_ = in[1];
  // "PORTS <tls> <control>\n", within a bound.
  std::string line;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  char c = 0;
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < until) {
    const auto n = ::read(out[0], &c, 1);
    if (n == 1) line += c;
    else if (n == 0) break;
    else ::usleep(1000);
  }
  ::close(out[0]);
  if (std::sscanf(line.c_str(), "PORTS %d %d", &port_, &control_port_) != 2) {
    stop(pid_);
    throw std::runtime_error("h2_upstream did not start: " + line);
  }
}

GoUpstream::~GoUpstream() {
  ::close(stdin_fd_);
  stop(pid_);
}

std::string GoUpstream::url(const std::string& path, const std::string& host) const {
  return "https://" + host + ":" + std::to_string(port_) + path;
}

Json GoUpstream::stats() const { return get(control_port_, "/stats").json(); }

Nghttpd::Nghttpd(const TlsFiles& tls, int max_concurrent_streams, const std::map<std::string, std::string>& files) {
  char tmpl[] = "/tmp/asyncfetch-it-nghttpd-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  std::filesystem::create_directory(dir_ + "/htdocs");
  for (const auto& [name, content] : files) std::ofstream(dir_ + "/htdocs/" + name, std::ios::binary) << content;
  const int log = ::open((dir_ + "/log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  // The port is free when picked; another process may take it first, then try another.
  for (int attempt = 0; attempt < 5 && port_ == 0; ++attempt) {
    const int port = free_port();
    pid_ = spawn({NGHTTPD_BINARY, "-a", "127.0.0.1", "-v", "-m", std::to_string(max_concurrent_streams), "-d",
                  dir_ + "/htdocs", std::to_string(port), tls.key, tls.cert},
                 -1, log);
    auto listening = [&] {
      const int fd = try_connect_loopback(port);
      if (fd >= 0) ::close(fd);
      return fd >= 0;
    };
    bool exited = false;
    eventually([&] { return listening() || (exited = ::waitpid(pid_, nullptr, WNOHANG) == pid_); },
               std::chrono::seconds(5));
    if (!exited && listening()) port_ = port;
    else if (!exited) stop(pid_);
  }
  ::close(log);
  if (port_ == 0) throw std::runtime_error("nghttpd did not start");
}

Nghttpd::~Nghttpd() {
  stop(pid_);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string Nghttpd::url(const std::string& path) const { return "https://127.0.0.1:" + std::to_string(port_) + path; }

int Nghttpd::sessions() const {
  std::ifstream in(dir_ + "/log");
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  static const std::regex id(R"(\[id=(\d+)\])");
  std::set<std::string> ids;
  for (std::sregex_iterator m(s.begin(), s.end(), id), end; m != end; ++m) ids.insert((*m)[1]);
  return static_cast<int>(ids.size());
}

}  // namespace it
