// load_config(), validate() and help_text(), all driven by one table (kKeys):
// each key's name, where it lives in Config, its type and range or rule, and its
// one-line meaning. Parsing, range checks, --help and the README's key table
// come from that table; adding a key is one line here plus the struct field.
#include "asyncfetch/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <variant>

#include "asyncfetch/wire/credentials.hpp"
#include "asyncfetch/wire/proxy.hpp"
#include "asyncfetch/wire/url.hpp"

namespace asyncfetch {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr std::string_view kEnvPrefix = "ASYNCFETCH_";
constexpr std::string_view kConfigEnv = "ASYNCFETCH_CONFIG";
constexpr const char* kDefaultFile = "config/asyncfetch.json";

// ---------------------------------------------------------------------------
// Rules for string values and list entries.

// 4 or 6 for a valid IPv4 / IPv6 literal, 0 otherwise. IPv6 zone ids
// ("fe80::1%eth0") are refused: inet_pton takes none.
int ip_family(std::string_view text) {
  const std::string s(text);
  unsigned char buf[sizeof(in6_addr)];
  if (s.find(':') == std::string::npos) return inet_pton(AF_INET, s.c_str(), buf) == 1 ? 4 : 0;
  return inet_pton(AF_INET6, s.c_str(), buf) == 1 ? 6 : 0;
}

bool is_ip_address(std::string_view s) { return ip_family(s) != 0; }

// With the service's own parsers: what the configuration accepts is what the
// service can use.
bool is_cidr(std::string_view s) { return Cidr::parse(s).has_value(); }
bool is_http_url(std::string_view s) { return parse_url(s).has_value(); }

bool is_visible_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool is_proxy_setting(std::string_view s) { return s.empty() || s == "none" || parse_proxy(s).has_value(); }

// A name `resolve` may map: what a URL's host can be, and not an address.
bool is_host_name(std::string_view s) {
  const auto url = parse_url("http://" + std::string(s) + "/");
  return !s.empty() && url && !url->host_is_ip && s.find_first_of(":/?#[]@") == std::string_view::npos;
}

bool is_log_level(std::string_view s) {
  return s == "debug" || s == "info" || s == "warn" || s == "error";
}

// A bearer token is compared with what follows "Bearer " in a header, whose
// value is trimmed: spaces or control characters could never match.
bool is_token(std::string_view s) { return is_visible_ascii(s); }

bool is_readable_file_or_empty(std::string_view s) {
  if (s.empty()) return true;
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(std::string(s)), ec)) return false;
  std::ifstream in{std::string(s)};
  return static_cast<bool>(in);
}

// ---------------------------------------------------------------------------
// The table.

using HostMap = std::map<std::string, std::vector<std::string>>;
using Member = std::variant<std::uint16_t Config::*, unsigned Config::*, std::uint64_t Config::*,
                            std::string Config::*, std::vector<std::string> Config::*, std::vector<Cidr> Config::*,
                            HostMap Config::*, bool Config::*>;

enum class Kind { integer, string, list, map, boolean };

struct Key {
  std::string_view name;
  Member member;
  std::uint64_t min = 0, max = 0;               // integers
  bool (*check)(std::string_view) = nullptr;    // strings: the value; lists: each entry
  std::string_view rule;                        // strings/lists: what check demands
  std::string_view type;                        // strings/lists: the type shown by --help
  std::string_view help;

  Kind kind() const {
    switch (member.index()) {
      case 3: return Kind::string;
      case 4:
      case 5: return Kind::list;
      case 6: return Kind::map;
      case 7: return Kind::boolean;
      default: return Kind::integer;
    }
  }
};

template <class T>
Key integer(std::string_view name, T Config::*m, std::uint64_t min, std::uint64_t max,
            std::string_view help) {
  return Key{name, Member{m}, min, max, nullptr, {}, {}, help};
}
Key text(std::string_view name, std::string Config::*m, bool (*check)(std::string_view),
         std::string_view type, std::string_view rule, std::string_view help) {
  return Key{name, Member{m}, 0, 0, check, rule, type, help};
}
// An object of host names, each mapped to a non-empty list of IP addresses.
Key host_map(std::string_view name, HostMap Config::*m, std::string_view help) {
  return Key{name, Member{m}, 0, 0, is_ip_address, "a host name mapped to a non-empty list of IP addresses",
             "object {name: [addresses]}", help};
}
Key boolean(std::string_view name, bool Config::*m, std::string_view help) {
  return Key{name, Member{m}, 0, 0, nullptr, {}, "boolean", help};
}
template <class T>
Key list(std::string_view name, std::vector<T> Config::*m, bool (*check)(std::string_view), std::string_view type,
         std::string_view rule, std::string_view help) {
  return Key{name, Member{m}, 0, 0, check, rule, type, help};
}

constexpr std::uint64_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

const std::vector<Key>& keys() {
  static const std::vector<Key> table = {
      text("listen_address", &Config::listen_address, is_ip_address, "IP address",
           "an IPv4 or IPv6 address",
           "Address the HTTP server binds (0.0.0.0 or :: for every interface)."),
      integer("port", &Config::port, 0, 65535, "TCP port the HTTP server listens on; 0 picks a free port."),
      integer("threads", &Config::threads, 0, 256, "Event-loop threads; 0 means one per CPU core."),
      integer("global_concurrency", &Config::global_concurrency, 1, 1000000,
              "Upstream fetches in flight at once across all requests (the service-wide semaphore)."),
      integer("default_concurrency", &Config::default_concurrency, 1, 1000000,
              "Per-request concurrency when a /fetch body names none; at most max_concurrency_per_request."),
      integer("max_concurrency_per_request", &Config::max_concurrency_per_request, 1, 1000000,
              "Largest \"concurrency\" (and \"per_host_concurrency\") a /fetch body may ask for."),
      integer("default_per_host_concurrency", &Config::default_per_host_concurrency, 0, 1000000,
              "Per-request fetches in flight to one origin when a /fetch body names no \"per_host_concurrency\"; "
              "0: no limit. At most max_concurrency_per_request."),
      integer("global_per_host_concurrency", &Config::global_per_host_concurrency, 0, 1000000,
              "Fetches in flight to one origin (scheme, host, port) across all requests; 0: no limit."),
      integer("max_urls_per_request", &Config::max_urls_per_request, 1, 100000,
              "Most URLs one /fetch body may list."),
      integer("max_queue", &Config::max_queue, 0, 1000000,
              "Fetches that may wait for a global permit, service-wide; beyond it /fetch answers 429."),
      integer("timeout_ms", &Config::timeout_ms, 1, 600000,
              "Default total time per URL in ms (all tries and redirects); also bounds each warm-up URL."),
      integer("connect_timeout_ms", &Config::connect_timeout_ms, 1, 600000,
              "Time allowed for one connection attempt to an upstream, in ms."),
      integer("max_redirects", &Config::max_redirects, 0, 20,
              "Most redirects followed per URL (each one re-checked by the egress policy)."),
      integer("max_body_bytes", &Config::max_body_bytes, 1, GiB,
              "Largest upstream response body read per URL, in bytes."),
      integer("max_request_bytes", &Config::max_request_bytes, 1, 64 * MiB,
              "Largest inbound request body accepted, in bytes; a larger one gets 413."),
      integer("ready_wait_ms", &Config::ready_wait_ms, 0, 600000,
              "How long a /fetch that arrives before start-up completes waits for readiness, then 503."),
      list("warmup_urls", &Config::warmup_urls, is_http_url, "list of URLs", "an http:// or https:// URL",
           "URLs fetched at start-up, each of which must answer, before /readyz reports ready."),
      integer("drain_timeout_ms", &Config::drain_timeout_ms, 0, 600000,
              "On SIGINT/SIGTERM, how long in-flight requests may take to finish, in ms."),
      list("allow_cidrs", &Config::allow_cidrs, is_cidr, "list of CIDRs",
           "a CIDR (a.b.c.d/0..32, IPv6/0..128) or a bare address",
           "Internal ranges fetches may reach despite the deny-by-default egress policy."),
      text("auth_token", &Config::auth_token, is_token, "string", "printable ASCII without spaces",
           "Bearer token clients must send (Authorization: Bearer TOKEN); empty: no authentication."),
      text("ca_file", &Config::ca_file, is_readable_file_or_empty, "file path",
           "empty or the path of a readable file",
           "Extra PEM CA file trusted for https besides the system store; empty: system store only."),
      text("log_level", &Config::log_level, is_log_level, "debug|info|warn|error",
           "one of debug, info, warn, error", "Least severe level of the JSON log lines written to stderr."),
      integer("max_connections", &Config::max_connections, 1, 1000000,
              "Inbound connections served at once."),
      integer("max_header_bytes", &Config::max_header_bytes, 1 * KiB, 1 * MiB,
              "Largest inbound request header block, in bytes."),
      integer("idle_timeout_ms", &Config::idle_timeout_ms, 100, 3600000,
              "Inbound keep-alive idle limit, and the limit for a slow client to send a request, in ms."),
      integer("pool_max_idle_per_host", &Config::pool_max_idle_per_host, 0, 100000,
              "Idle keep-alive upstream connections kept per host; 0 disables reuse."),
      integer("pool_idle_timeout_ms", &Config::pool_idle_timeout_ms, 0, 3600000,
              "How long an idle upstream connection is kept before it is closed, in ms."),
      text("proxy", &Config::proxy, is_proxy_setting, "proxy URL",
           "empty, \"none\" or http://[user:password@]host:port",
           "Forward proxy for every fetch (CONNECT for https); empty: HTTP_PROXY/HTTPS_PROXY; \"none\": direct."),
      integer("happy_eyeballs_delay_ms", &Config::happy_eyeballs_delay_ms, 10, 10000,
              "Stagger between connection attempts to a name's addresses, IPv6 first (RFC 8305)."),
      host_map("resolve", &Config::resolve,
               "Static addresses for host names, used instead of DNS (still checked by the egress policy)."),
      integer("memory_trim_ms", &Config::memory_trim_ms, 0, 3600000,
              "After fetches, once none has run for this long, freed memory goes back to the OS; 0: never."),
      boolean("http2", &Config::http2,
              "Offer HTTP/2 (ALPN h2) to https upstreams and multiplex an origin's fetches on one connection."),
  };
  return table;
}

const Key* find_key(std::string_view name) {
  for (const Key& k : keys())
    if (k.name == name) return &k;
  return nullptr;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string env_name(std::string_view key) { return std::string(kEnvPrefix) + upper(key); }

// ---------------------------------------------------------------------------
// Values and messages.

using Value = std::variant<std::uint64_t, std::string, std::vector<std::string>, HostMap, bool>;

// What the user wrote, for "got ...": JSON text, cut when long. Flags and
// environment values are raw bytes: invalid UTF-8 is shown as U+FFFD (a strict
// dump() would throw json::type_error instead of the ConfigError), and the cut
// never splits a UTF-8 sequence.
std::string shown_json(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 80) {
    std::size_t cut = 77;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut) + "...";
  }
  return s;
}
// A URL's credentials are masked (a warm-up URL may carry some).
std::string shown(std::string_view text) {
  std::string s(text);
  mask_credentials(s);
  return shown_json(json(std::move(s)));
}

[[noreturn]] void fail(std::string_view key, const std::string& what, const std::string& got,
                       const std::string& origin) {
  std::string msg = "config: \"" + std::string(key) + "\": " + what;
  if (!got.empty()) msg += ", got " + got;
  if (!origin.empty()) msg += " (from " + origin + ")";
  throw ConfigError(std::string(key), msg);
}

std::string rule_of(const Key& k) {
  switch (k.kind()) {
    case Kind::integer: return "must be an integer " + std::to_string(k.min) + ".." + std::to_string(k.max);
    case Kind::string: return "must be " + std::string(k.rule);
    case Kind::list: return "each entry must be " + std::string(k.rule);
    case Kind::map: return "each entry must be " + std::string(k.rule);
    case Kind::boolean: return "must be true or false";
  }
  return {};
}

// The one per-key check, used for every value given (even when a stronger
// source overrides it) and again by validate() on the final Config.
void check(const Key& k, const Value& v, const std::string& origin) {
  switch (k.kind()) {
    case Kind::integer: {
      const auto n = std::get<std::uint64_t>(v);
      if (n < k.min || n > k.max) fail(k.name, rule_of(k), std::to_string(n), origin);
      break;
    }
    case Kind::string: {
      const auto& s = std::get<std::string>(v);
      if (!k.check(s)) fail(k.name, rule_of(k), shown(s), origin);
      break;
    }
    case Kind::list:
      for (const auto& entry : std::get<std::vector<std::string>>(v))
        if (!k.check(entry)) fail(k.name, rule_of(k), shown(entry), origin);
      break;
    case Kind::map:
      for (const auto& [name, entries] : std::get<HostMap>(v)) {
        if (!is_host_name(name)) fail(k.name, "each name must be a host name (not an address)", shown(name), origin);
        if (entries.empty()) fail(k.name, shown(name) + " must list at least one address", "[]", origin);
        for (const auto& entry : entries)
          if (!k.check(entry)) fail(k.name, shown(name) + ": each entry must be an IPv4 or IPv6 address", shown(entry), origin);
      }
      break;
    case Kind::boolean:  // both values are valid; the type was checked when it was read
      break;
  }
}

// A list of CIDRs is held parsed; as a Value it is its entries' text.
Value read(const Key& k, const Config& c) {
  return std::visit(
      [&](auto m) -> Value {
        const auto& field = c.*m;
        using T = std::decay_t<decltype(field)>;
        if constexpr (std::is_same_v<T, bool>) {
          return field;
        } else if constexpr (std::is_integral_v<T>) {
          return static_cast<std::uint64_t>(field);
        } else if constexpr (std::is_same_v<T, std::vector<Cidr>>) {
          std::vector<std::string> texts;
          for (const Cidr& cidr : field) texts.push_back(cidr.to_string());
          return texts;
        } else {
          return field;
        }
      },
      k.member);
}

// `v` has passed check().
void store(const Key& k, const Value& v, Config& c) {
  std::visit(
      [&](auto m) {
        auto& field = c.*m;
        using T = std::decay_t<decltype(field)>;
        if constexpr (std::is_same_v<T, bool>) {
          field = std::get<bool>(v);
        } else if constexpr (std::is_integral_v<T>) {
          field = static_cast<T>(std::get<std::uint64_t>(v));
        } else if constexpr (std::is_same_v<T, std::vector<Cidr>>) {
          field.clear();
          for (const auto& text : std::get<std::vector<std::string>>(v)) field.push_back(*Cidr::parse(text));
        } else if constexpr (std::is_same_v<T, HostMap>) {
          // Names as URLs canonicalise hosts, so that the lookup is one string compare.
          field.clear();
          for (const auto& [name, entries] : std::get<HostMap>(v)) field[parse_url("http://" + name + "/")->host] = entries;
        } else {
          field = std::get<T>(v);
        }
      },
      k.member);
}

// {"name": ["address", ...], ...}
HostMap host_map_from_json(const Key& k, const json& j, const std::string& origin) {
  auto is_strings = [](const json& e) {
    return e.is_array() && std::all_of(e.begin(), e.end(), [](const json& x) { return x.is_string(); });
  };
  if (!j.is_object()) fail(k.name, "must be an object of host names to arrays of addresses", shown_json(j), origin);
  HostMap out;
  for (const auto& [name, entries] : j.items()) {
    if (!is_strings(entries))
      fail(k.name, shown(name) + " must map to an array of address strings", shown_json(entries), origin);
    out[name] = entries.get<std::vector<std::string>>();
  }
  return out;
}

// A value as the JSON file holds it.
Value from_json(const Key& k, const json& j, const std::string& origin) {
  switch (k.kind()) {
    case Kind::integer:
      // Negative and too-large integers fall under the range rule; floats,
      // strings, booleans, null and the rest under the type rule: same message.
      if (!j.is_number_unsigned()) fail(k.name, rule_of(k), shown_json(j), origin);
      return j.get<std::uint64_t>();
    case Kind::string:
      if (!j.is_string()) fail(k.name, "must be a string", shown_json(j), origin);
      return j.get<std::string>();
    case Kind::list: {
      const bool ok = j.is_array() && std::all_of(j.begin(), j.end(), [](const json& e) { return e.is_string(); });
      if (!ok) fail(k.name, "must be an array of strings", shown_json(j), origin);
      return j.get<std::vector<std::string>>();
    }
    case Kind::map:
      return host_map_from_json(k, j, origin);
    case Kind::boolean:
      if (!j.is_boolean()) fail(k.name, rule_of(k), shown_json(j), origin);
      return j.get<bool>();
  }
  return {};
}

std::string_view trim(std::string_view s) {
  const auto ws = " \t\r\n";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// A value as a flag or environment variable spells it.
Value from_text(const Key& k, std::string_view text, const std::string& origin) {
  switch (k.kind()) {
    case Kind::integer: {
      // Plain decimal: no sign, no spaces, no hex; overflow is out of range.
      bool ok = !text.empty() && text.size() <= 19;
      std::uint64_t n = 0;
      for (char c : text) {
        if (c < '0' || c > '9') { ok = false; break; }
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (!ok) fail(k.name, rule_of(k), shown(text), origin);
      return n;
    }
    case Kind::string:
      return std::string(text);
    case Kind::list: {
      const auto t = trim(text);
      if (!t.empty() && t.front() == '[') {
        const json j = json::parse(t, nullptr, /*allow_exceptions=*/false);
        const bool ok = j.is_array() && std::all_of(j.begin(), j.end(), [](const json& e) { return e.is_string(); });
        if (!ok) fail(k.name, "must be a JSON array of strings or a comma-separated list", shown(text), origin);
        return j.get<std::vector<std::string>>();
      }
      // Comma-separated; entries trimmed, empty ones skipped ("" is the empty list).
      std::vector<std::string> out;
      std::size_t pos = 0;
      while (pos <= t.size()) {
        auto comma = t.find(',', pos);
        if (comma == std::string_view::npos) comma = t.size();
        const auto entry = trim(t.substr(pos, comma - pos));
        if (!entry.empty()) out.emplace_back(entry);
        pos = comma + 1;
      }
      return out;
    }
    case Kind::map: {
      // JSON only: a name's addresses are a list already.
      const json j = json::parse(trim(text), nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) fail(k.name, "must be a JSON object of host names to arrays of addresses", shown(text), origin);
      return host_map_from_json(k, j, origin);
    }
    case Kind::boolean:
      // Exactly as JSON spells them: "1", "yes" or "TRUE" are refused, not guessed at.
      if (text == "true") return true;
      if (text == "false") return false;
      fail(k.name, rule_of(k), shown(text), origin);
  }
  return {};
}

// ---------------------------------------------------------------------------
// Unknown keys: name the nearest known one when it is close.

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

const Key* nearest_key(std::string_view name) {
  std::string norm(name);
  for (char& c : norm) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '-') c = '_';
  }
  const Key* best = nullptr;
  std::size_t best_d = 3;  // suggest only within 2 edits
  for (const Key& k : keys()) {
    const auto d = edit_distance(norm, k.name);
    if (d < best_d) best = &k, best_d = d;
  }
  return best;
}

enum class Source { file, env, flag };

[[noreturn]] void unknown_key(std::string_view name, Source source, const std::string& origin) {
  std::string msg = "config: \"" + std::string(name) + "\": unknown key (from " + origin + ")";
  if (const Key* k = nearest_key(name)) {
    switch (source) {
      case Source::file: msg += "; did you mean \"" + std::string(k->name) + "\"?"; break;
      case Source::env: msg += "; did you mean " + env_name(k->name) + "?"; break;
      case Source::flag: msg += "; did you mean --" + std::string(k->name) + "?"; break;
    }
  } else {
    msg += "; asyncfetch --help lists the keys";
  }
  throw ConfigError(std::string(name), msg);
}

// ---------------------------------------------------------------------------
// Sources.

using Origins = std::map<std::string_view, std::string>;  // key -> where its value came from

void apply(const Key& k, const Value& v, const std::string& origin, Config& c, Origins& origins) {
  check(k, v, origin);
  store(k, v, c);
  origins[k.name] = origin;
}

struct Flag {
  const Key* key;
  std::string value;
  std::string origin;  // "--port"
};

struct ParsedArgs {
  bool help = false;
  std::optional<std::string> config;  // --config PATH
  std::vector<Flag> flags;
};

ParsedArgs parse_args(int argc, const char* const* argv) {
  ParsedArgs out;
  std::optional<ConfigError> first_error;  // kept so that --help anywhere still wins
  auto error = [&](ConfigError e) {
    if (!first_error) first_error = std::move(e);
  };
  for (int i = 1; i < argc && argv; ++i) {
    const std::string_view arg = argv[i] ? argv[i] : "";
    if (arg == "--help" || arg == "-h") {
      out.help = true;
      continue;
    }
    if (arg.size() <= 2 || !arg.starts_with("--")) {
      error(ConfigError(std::string(arg), "config: unexpected argument " + shown(arg) +
                                              " (flags are --key value or --key=value; see --help)"));
      continue;
    }
    const auto body = arg.substr(2);
    const auto eq = body.find('=');
    const std::string name(body.substr(0, eq));
    const std::string origin = "--" + name;
    const Key* key = find_key(name);
    if (name == "help") {
      error(ConfigError(name, "config: --help takes no value"));
      continue;
    }
    if (!key && name != "config") {
      try {
        unknown_key(name, Source::flag, origin);
      } catch (ConfigError& e) {
        error(std::move(e));
      }
      continue;
    }
    std::string value;
    if (eq != std::string_view::npos) {
      value = std::string(body.substr(eq + 1));
    } else if (i + 1 < argc && argv[i + 1] && !std::string_view(argv[i + 1]).starts_with("--")) {
      value = argv[++i];
    } else {
      error(ConfigError(name, "config: \"" + name + "\": " + origin + " needs a value (" + origin +
                                  " VALUE or " + origin + "=VALUE)"));
      continue;
    }
    if (key) out.flags.push_back({key, std::move(value), origin});
    else out.config = std::move(value);
  }
  if (!out.help && first_error) throw std::move(*first_error);
  return out;
}

// The file's top-level keys must be unique: nlohmann would silently keep the last.
json read_json_file(const std::string& path, const std::string& named_by) {
  const std::string where = "config file \"" + path + "\" (" + named_by + ")";
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw ConfigError("", "config: cannot read " + where + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("", "config: cannot read " + where + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError("", "config: cannot read " + where);

  std::string duplicate;
  std::set<std::string> seen;
  json j;
  try {
    j = json::parse(text.str(), [&](int depth, json::parse_event_t event, json& parsed) {
      if (depth == 1 && event == json::parse_event_t::key && duplicate.empty()) {
        auto k = parsed.get<std::string>();
        if (!seen.insert(k).second) duplicate = std::move(k);
      }
      return true;
    });
  } catch (const json::exception& e) {
    throw ConfigError("", "config: " + where + " is not valid JSON: " + e.what());
  }
  if (!j.is_object())
    throw ConfigError("", "config: " + where + " must hold a JSON object, got " + std::string(j.type_name()));
  if (!duplicate.empty())
    throw ConfigError(duplicate, "config: \"" + duplicate + "\": appears more than once in " + path);
  return j;
}

std::optional<std::string> env_get(const char* const* env, std::string_view name) {
  std::optional<std::string> out;
  for (auto p = env; p && *p; ++p) {
    const std::string_view entry = *p;
    if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=')
      out = std::string(entry.substr(name.size() + 1));  // the last one wins, as getenv's would
  }
  return out;
}

void validate_impl(const Config& c, const Origins* origins) {
  auto origin_of = [&](std::string_view key) -> std::string {
    if (!origins) return {};
    const auto it = origins->find(key);
    return it == origins->end() ? "built-in default" : it->second;
  };
  for (const Key& k : keys()) check(k, read(k, c), origin_of(k.name));

  // The proxy variables, when they are what the fetches will use.
  std::string why;
  auto check_proxy_env = [&](const std::string& value, const char* name) {
    if (!value.empty() && !parse_proxy(value, &why)) fail(name, why, shown(value), "the environment");
  };
  if (c.proxy.empty()) {
    check_proxy_env(c.proxy_env.http_proxy, "HTTP_PROXY");
    check_proxy_env(c.proxy_env.https_proxy, "HTTPS_PROXY");
  }
  if (!NoProxy::parse(c.proxy_env.no_proxy, &why)) fail("NO_PROXY", why, shown(c.proxy_env.no_proxy), "the environment");

  // Rules between keys.
  auto at_most_max_concurrency = [&](std::string_view key, unsigned value) {
    if (value <= c.max_concurrency_per_request) return;
    std::string limit = std::to_string(c.max_concurrency_per_request);
    if (origins) limit += ", from " + origin_of("max_concurrency_per_request");
    fail(key, "must be <= max_concurrency_per_request (" + limit + ")", std::to_string(value), origin_of(key));
  };
  at_most_max_concurrency("default_concurrency", c.default_concurrency);
  at_most_max_concurrency("default_per_host_concurrency", c.default_per_host_concurrency);
}

std::string default_value(const Key& k) {
  const Value v = read(k, Config{});
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_integral_v<T>) return std::to_string(x);
        else return json(x).dump();
      },
      v);
}

std::string type_of(const Key& k) {
  if (k.kind() == Kind::integer) return "integer " + std::to_string(k.min) + ".." + std::to_string(k.max);
  return std::string(k.type);
}

}  // namespace

void validate(const Config& config) { validate_impl(config, nullptr); }

LoadResult load_config(int argc, const char* const* argv, const char* const* env) {
  LoadResult result;
  const ParsedArgs args = parse_args(argc, argv);
  if (args.help) {
    result.help = true;
    return result;
  }

  // Every ASYNCFETCH_* variable must be a key (or ASYNCFETCH_CONFIG).
  struct EnvValue {
    const Key* key;
    std::string value, origin;
  };
  std::vector<EnvValue> env_values;
  for (auto p = env; p && *p; ++p) {
    const std::string_view entry = *p;
    if (!entry.starts_with(kEnvPrefix)) continue;
    const auto eq = entry.find('=');
    const std::string var(entry.substr(0, eq));
    if (var == kConfigEnv || eq == std::string_view::npos) continue;
    std::string name(var.substr(kEnvPrefix.size()));
    for (char& c : name)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const Key* key = find_key(name);
    if (!key || env_name(key->name) != var) unknown_key(name, Source::env, var);
    env_values.push_back({key, std::string(entry.substr(eq + 1)), var});
  }

  // Which file: --config, else ASYNCFETCH_CONFIG, else the default when present.
  // An empty path, either way, means no file at all.
  std::string path, named_by;
  if (args.config) {
    path = *args.config;
    named_by = "from --config";
  } else if (auto e = env_get(env, kConfigEnv)) {
    path = *e;
    named_by = "from " + std::string(kConfigEnv);
  } else {
    std::error_code ec;
    if (fs::exists(kDefaultFile, ec)) {
      path = kDefaultFile;
      named_by = "the default";
    }
  }

  Config& c = result.config;
  Origins origins;
  if (!path.empty()) {
    const json file = read_json_file(path, named_by);
    for (const auto& [name, value] : file.items()) {
      const Key* key = find_key(name);
      if (!key) unknown_key(name, Source::file, path);
      apply(*key, from_json(*key, value, path), path, c, origins);
    }
    result.config_path = path;
  }
  for (const auto& e : env_values) apply(*e.key, from_text(*e.key, e.value, e.origin), e.origin, c, origins);
  for (const auto& f : args.flags) apply(*f.key, from_text(*f.key, f.value, f.origin), f.origin, c, origins);

  // The standard proxy variables: the upper-case name wins, as in Go.
  auto proxy_var = [&](const char* upper_name, const char* lower_name) {
    auto v = env_get(env, upper_name);
    if (!v || v->empty()) v = env_get(env, lower_name);
    return v.value_or("");
  };
  c.proxy_env = {proxy_var("HTTP_PROXY", "http_proxy"), proxy_var("HTTPS_PROXY", "https_proxy"),
                 proxy_var("NO_PROXY", "no_proxy")};

  validate_impl(c, &origins);
  return result;
}

std::string help_text() {
  std::string out =
      "Usage: asyncfetch [--config PATH] [--KEY VALUE | --KEY=VALUE]... [--help]\n"
      "\n"
      "asyncfetch: an HTTP fan-out fetch service (POST /fetch, GET /healthz /readyz /stats /metrics).\n"
      "\n"
      "Every key below can be set in four places; the first that sets it wins:\n"
      "  1. a flag                 --KEY VALUE or --KEY=VALUE (a repeated flag: the last wins)\n"
      "  2. an environment var     ASYNCFETCH_<KEY in upper case>, e.g. ASYNCFETCH_PORT=9000\n"
      "  3. the JSON config file   --config PATH, else $ASYNCFETCH_CONFIG, else\n"
      "                            config/asyncfetch.json if it exists (an empty PATH: no file)\n"
      "  4. the built-in default   shown below\n"
      "List keys take a JSON array or a comma-separated list in flags and environment\n"
      "variables (ASYNCFETCH_ALLOW_CIDRS=127.0.0.0/8,::1/128); the file takes a JSON array.\n"
      "resolve takes a JSON object everywhere (--resolve '{\"api.test\":[\"::1\",\"127.0.0.1\"]}').\n"
      "With proxy empty, HTTP_PROXY/http_proxy and HTTPS_PROXY/https_proxy name the proxies for\n"
      "http:// and https:// targets; NO_PROXY/no_proxy (names, .suffixes, addresses, CIDRs, *)\n"
      "lists targets fetched directly, whichever proxy is in force.\n"
      "Booleans are true or false, in every source (--http2=false).\n"
      "Numbers are plain decimal integers. An unknown key, a wrong type or an out-of-range\n"
      "value, from any source, stops start-up with exit code 2 and a message naming the key.\n"
      "\n"
      "Keys:\n";
  for (const Key& k : keys()) {
    out += "  --" + std::string(k.name) + " <" + type_of(k) + ">  default: " + default_value(k) + "\n";
    out += "      " + std::string(k.help) + "\n";
  }
  out += "\n  --config PATH   the JSON config file (see above)\n";
  out += "  --help, -h      print this text and exit\n";
  return out;
}

}  // namespace asyncfetch
