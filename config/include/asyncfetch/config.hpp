// asyncfetch's configuration: plain data, loaded and validated in one place.
//
// Sources, strongest first: command-line flag (--key value | --key=value),
// environment (ASYNCFETCH_<KEY>, upper case), the JSON file (--config PATH or
// ASYNCFETCH_CONFIG, else config/asyncfetch.json when it exists), built-in
// defaults. List keys take a JSON array or a comma-separated list in flags and
// env. Any unknown key, wrong type or out-of-range value is a ConfigError that
// names the key; main() prints it and exits with code 2.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "asyncfetch/wire/cidr.hpp"

namespace asyncfetch {

// The standard proxy variables as the environment set them (the upper-case
// name first, then the lower-case one, as Go reads them); empty when unset.
struct ProxyEnvironment {
  std::string http_proxy;   // HTTP_PROXY / http_proxy: for http:// targets
  std::string https_proxy;  // HTTPS_PROXY / https_proxy: for https:// targets
  std::string no_proxy;     // NO_PROXY / no_proxy: targets fetched directly
};

struct Config {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 0;  // 0: one per core
  unsigned global_concurrency = 512;
  unsigned default_concurrency = 8;
  unsigned max_concurrency_per_request = 256;
  unsigned default_per_host_concurrency = 0;  // per origin, per request, when a /fetch body names none; 0: none
  unsigned global_per_host_concurrency = 0;   // per origin, across all requests; 0: none
  unsigned max_urls_per_request = 1000;
  unsigned max_queue = 10000;  // fetches waiting for a global permit, service-wide
  unsigned timeout_ms = 10000;
  unsigned connect_timeout_ms = 3000;
  unsigned max_redirects = 5;
  std::uint64_t max_body_bytes = 1048576;
  std::uint64_t max_request_bytes = 1048576;
  unsigned ready_wait_ms = 5000;
  std::vector<std::string> warmup_urls;
  unsigned drain_timeout_ms = 10000;
  std::vector<Cidr> allow_cidrs;         // ranges the egress policy opens ("127.0.0.0/8", "::1/128")
  std::string auth_token;                // empty: no auth
  std::string ca_file;                   // empty: system CA store only
  std::string log_level = "info";        // debug | info | warn | error
  // Inbound limits.
  unsigned max_connections = 10000;
  unsigned max_header_bytes = 16384;
  unsigned idle_timeout_ms = 30000;      // keep-alive idle and slow-client limit
  // Outbound connection pool.
  unsigned pool_max_idle_per_host = 256;
  unsigned pool_idle_timeout_ms = 15000;
  // Outbound routes.
  std::string proxy;                     // "": the environment's; "none": direct; else http://[user:password@]host:port
  ProxyEnvironment proxy_env;            // read by load_config; NO_PROXY applies to `proxy` too
  unsigned happy_eyeballs_delay_ms = 250;  // RFC 8305's Connection Attempt Delay
  std::map<std::string, std::vector<std::string>> resolve;  // host name -> IP addresses, before DNS
  bool http2 = true;                     // offer h2 to https upstreams (ALPN), multiplex per origin
  // Memory.
  unsigned memory_trim_ms = 10000;       // idle time before freed heap memory is returned; 0: never
};

struct ConfigError : std::runtime_error {
  ConfigError(std::string key, const std::string& message)
      : std::runtime_error(message), key(std::move(key)) {}
  std::string key;  // the offending key ("" when the file itself is unreadable)
};

struct LoadResult {
  Config config;
  bool help = false;        // --help given: print help_text() and exit 0
  std::string config_path;  // the file that was read, "" when none
};

// argv as main() receives it; env: "KEY=VALUE" strings (pass `environ`).
LoadResult load_config(int argc, const char* const* argv, const char* const* env);

// Every key's type/range rule plus the rules that relate keys
// (default_concurrency and default_per_host_concurrency <=
// max_concurrency_per_request); throws ConfigError
// naming the first offending key. load_config() ends with it; call it on a
// Config built in code before using it.
void validate(const Config& config);

// --help: every key with its type, default and meaning.
std::string help_text();

}  // namespace asyncfetch
