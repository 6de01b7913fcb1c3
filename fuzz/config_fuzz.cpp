// bytes -> load_config, as a JSON config file and/or as argv and environment
// entries. load_config must return or throw ConfigError; any other exception or
// a crash is a bug. A Config it returns must pass validate(), and each of its
// allow_cidrs ranges must read back as itself.
//
// Input layout: byte 0 picks the sources (bit 0: pass the file with --config),
// then up to three parts separated by "\0\0": the file's text, the argv
// entries, the environment entries (each '\0'-separated). --config and
// ASYNCFETCH_CONFIG always name our temp file, never a path from the input.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "asyncfetch/config.hpp"
#include "asyncfetch/wire/cidr.hpp"

using namespace asyncfetch;

namespace {

std::string g_file;

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::size_t pos = 0;
  while (true) {
    auto z = s.find('\0', pos);
    out.emplace_back(s.substr(pos, z == std::string_view::npos ? std::string_view::npos : z - pos));
    if (z == std::string_view::npos) break;
    pos = z + 1;
  }
  return out;
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "config_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // A private working directory, so config/asyncfetch.json (the default file) is never there.
  auto dir = std::filesystem::temp_directory_path() / ("asyncfetch-config-fuzz-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::current_path(dir);
  g_file = (dir / "config.json").string();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool use_file = data[0] & 1;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::string_view parts[3];
  for (int i = 0; i < 3; ++i) {
    auto sep = i < 2 ? rest.find(std::string_view("\0\0", 2)) : std::string_view::npos;
    parts[i] = rest.substr(0, sep);
    if (sep == std::string_view::npos) break;
    rest.remove_prefix(sep + 2);
  }
  {
    std::ofstream f(g_file, std::ios::binary | std::ios::trunc);
    f.write(parts[0].data(), static_cast<std::streamsize>(parts[0].size()));
  }

  std::vector<std::string> args = {"asyncfetch"};
  if (use_file) {
    args.push_back("--config");
    args.push_back(g_file);
  }
  for (auto& a : split(parts[1])) {
    if (a.starts_with("--config")) a = "--config=" + g_file;
    args.push_back(std::move(a));
  }
  std::vector<std::string> env = split(parts[2]);
  for (auto& e : env)
    if (e.starts_with("ASYNCFETCH_CONFIG")) e = "ASYNCFETCH_CONFIG=" + g_file;

  std::vector<const char*> argv, envp;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(e.c_str());
  envp.push_back(nullptr);

  try {
    LoadResult r = load_config(static_cast<int>(args.size()), argv.data(), envp.data());
    if (r.help) {
      (void)help_text();
      return 0;
    }
    try {
      validate(r.config);
    } catch (const ConfigError&) {
      die("load_config returned a Config that validate() refuses");
    }
    for (const auto& c : r.config.allow_cidrs) {
      const auto again = Cidr::parse(c.to_string());
      if (!again || !(*again == c)) {
        std::fprintf(stderr, "allow_cidrs entry does not read back as itself: \"%s\"\n", c.to_string().c_str());
        std::abort();
      }
    }
    if (r.config.default_concurrency > r.config.max_concurrency_per_request) die("default_concurrency above max");
  } catch (const ConfigError& e) {
    if (std::string_view(e.what()).empty()) die("ConfigError without a message");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "config_fuzz: load_config threw something else: %s\n", e.what());
    std::abort();
  } catch (...) {
    die("load_config threw a non-std exception");
  }
  return 0;
}
