// load_config(): sources and their precedence, both flag forms, list keys, and
// an error naming the key for every way a value can be wrong.
#include "asyncfetch/config.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using asyncfetch::Config;
using asyncfetch::ConfigError;
using asyncfetch::LoadResult;
using asyncfetch::load_config;
using Strings = std::vector<std::string>;
using asyncfetch::Cidr;
using Cidrs = std::vector<Cidr>;

namespace {

// The ranges as the configuration holds them: parsed.
Cidrs cidrs(std::initializer_list<const char*> texts) {
  Cidrs out;
  for (const char* t : texts) {
    auto c = Cidr::parse(t);
    REQUIRE(c);
    out.push_back(*c);
  }
  return out;
}

// A fresh directory under the system temp dir, removed at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    static std::atomic<int> counter{0};
    path = fs::temp_directory_path() /
           ("asyncfetch-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    const auto p = path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};

// Runs load_config with argv = {"asyncfetch", args...} and env = {env...}.
LoadResult load(const Strings& args, const Strings& env = {}) {
  std::vector<const char*> argv{"asyncfetch"};
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  std::vector<const char*> envp;
  for (const auto& e : env) envp.push_back(e.c_str());
  envp.push_back(nullptr);
  return load_config(static_cast<int>(argv.size() - 1), argv.data(), envp.data());
}

// The same, with no config file at all (so the test never depends on the cwd).
LoadResult load_nofile(Strings args, const Strings& env = {}) {
  args.insert(args.begin(), "--config=");
  return load(args, env);
}

ConfigError error_of(const Strings& args, const Strings& env = {}) {
  try {
    load(args, env);
  } catch (const ConfigError& e) {
    return e;
  }
  throw std::logic_error("expected a ConfigError");
}

ConfigError error_nofile(Strings args, const Strings& env = {}) {
  args.insert(args.begin(), "--config=");
  return error_of(args, env);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Restores the working directory at scope exit.
struct Chdir {
  fs::path old = fs::current_path();
  explicit Chdir(const fs::path& to) { fs::current_path(to); }
  ~Chdir() { fs::current_path(old); }
};

}  // namespace

TEST_CASE("with no sources every key has its built-in default", "[config]") {
  const auto r = load_nofile({});
  const Config& c = r.config;
  const Config d;
  CHECK_FALSE(r.help);
  CHECK(r.config_path.empty());
  CHECK(c.listen_address == "127.0.0.1");
  CHECK(c.port == 8080);
  CHECK(c.threads == 0);
  CHECK(c.global_concurrency == d.global_concurrency);
  CHECK(c.default_concurrency == 8);
  CHECK(c.max_concurrency_per_request == d.max_concurrency_per_request);
  CHECK(c.timeout_ms == 10000);
  CHECK(c.max_body_bytes == 1048576);
  CHECK(c.warmup_urls.empty());
  CHECK(c.allow_cidrs.empty());  // built-in default: every internal range denied
  CHECK(c.auth_token.empty());
  CHECK(c.ca_file.empty());
  CHECK(c.log_level == "info");
  CHECK(c.pool_idle_timeout_ms == d.pool_idle_timeout_ms);
  CHECK(c.http2 == true);
}

TEST_CASE("the built-in defaults pass validate()", "[config]") {
  CHECK_NOTHROW(asyncfetch::validate(Config{}));
}

TEST_CASE("the JSON file sets keys, unnamed keys keep their defaults", "[config]") {
  TempDir dir;
  const auto path = dir.write("a.json", R"({
    "listen_address": "::1", "port": 9001, "threads": 4, "max_body_bytes": 5000000000,
    "warmup_urls": ["http://example.com/", "https://example.org/x"],
    "allow_cidrs": ["10.0.0.0/8", "fd00::/8", "192.168.1.7"],
    "auth_token": "s3cret", "log_level": "debug", "max_redirects": 0
  })");
  // 5e9 is out of range for max_body_bytes (1 GiB max): fix it and load.
  CHECK(error_of({"--config", path}).key == "max_body_bytes");
  dir.write("a.json", R"({
    "listen_address": "::1", "port": 9001, "threads": 4, "max_body_bytes": 2000000,
    "warmup_urls": ["http://example.com/", "https://example.org/x"],
    "allow_cidrs": ["10.0.0.0/8", "fd00::/8", "192.168.1.7"],
    "auth_token": "s3cret", "log_level": "debug", "max_redirects": 0
  })");
  const auto r = load({"--config", path});
  CHECK(r.config_path == path);
  CHECK(r.config.listen_address == "::1");
  CHECK(r.config.port == 9001);
  CHECK(r.config.threads == 4);
  CHECK(r.config.max_body_bytes == 2000000);
  CHECK(r.config.warmup_urls == Strings{"http://example.com/", "https://example.org/x"});
  CHECK(r.config.allow_cidrs == cidrs({"10.0.0.0/8", "fd00::/8", "192.168.1.7/32"}));
  CHECK(r.config.auth_token == "s3cret");
  CHECK(r.config.log_level == "debug");
  CHECK(r.config.max_redirects == 0);
  CHECK(r.config.timeout_ms == Config{}.timeout_ms);
}

TEST_CASE("the file is chosen by --config, then ASYNCFETCH_CONFIG, then the default path", "[config]") {
  TempDir dir;
  const auto a = dir.write("a.json", R"({"port": 1111})");
  const auto b = dir.write("b.json", R"({"port": 2222})");

  SECTION("--config PATH") { CHECK(load({"--config", a}).config.port == 1111); }
  SECTION("--config=PATH") { CHECK(load({"--config=" + a}).config.port == 1111); }
  SECTION("ASYNCFETCH_CONFIG") {
    const auto r = load({}, {"ASYNCFETCH_CONFIG=" + b});
    CHECK(r.config.port == 2222);
    CHECK(r.config_path == b);
  }
  SECTION("--config beats ASYNCFETCH_CONFIG") {
    CHECK(load({"--config", a}, {"ASYNCFETCH_CONFIG=" + b}).config.port == 1111);
  }
  SECTION("an empty path means no file, not even the default") {
    dir.write("config/asyncfetch.json", R"({"port": 3333})");
    Chdir cd(dir.path);
    CHECK(load({"--config="}).config.port == 8080);
    CHECK(load({}, {"ASYNCFETCH_CONFIG="}).config.port == 8080);
    CHECK(load({}, {"ASYNCFETCH_CONFIG="}).config_path.empty());
  }
  SECTION("config/asyncfetch.json under the working directory when neither is given") {
    dir.write("config/asyncfetch.json", R"({"port": 3333})");
    Chdir cd(dir.path);
    const auto r = load({});
    CHECK(r.config.port == 3333);
    CHECK(r.config_path == "config/asyncfetch.json");
  }
  SECTION("no file at all when the default path does not exist") {
    Chdir cd(dir.path);
    const auto r = load({});
    CHECK(r.config.port == 8080);
    CHECK(r.config_path.empty());
  }
}

TEST_CASE("precedence: flag > env > file > default, key by key", "[config]") {
  TempDir dir;
  const auto path = dir.write("c.json", R"({"port": 1000, "threads": 2, "log_level": "warn"})");
  const Strings env{"ASYNCFETCH_PORT=2000", "ASYNCFETCH_THREADS=3", "PATH=/usr/bin"};

  SECTION("env over file") {
    const auto c = load({"--config", path}, env).config;
    CHECK(c.port == 2000);
    CHECK(c.threads == 3);
    CHECK(c.log_level == "warn");  // only the file sets it
    CHECK(c.timeout_ms == 10000);  // nobody sets it
  }
  SECTION("flag over env and file") {
    const auto c = load({"--config", path, "--port", "3000"}, env).config;
    CHECK(c.port == 3000);
    CHECK(c.threads == 3);
  }
  SECTION("flag over file without env") {
    CHECK(load({"--config", path, "--log_level=error"}).config.log_level == "error");
  }
  SECTION("a repeated flag: the last wins") {
    CHECK(load_nofile({"--port", "1", "--port=2"}).config.port == 2);
  }
}

TEST_CASE("flags take --key value and --key=value", "[config]") {
  const auto a = load_nofile({"--port", "9090", "--listen_address", "0.0.0.0", "--auth_token", "t"}).config;
  const auto b = load_nofile({"--port=9090", "--listen_address=0.0.0.0", "--auth_token=t"}).config;
  for (const auto& c : {a, b}) {
    CHECK(c.port == 9090);
    CHECK(c.listen_address == "0.0.0.0");
    CHECK(c.auth_token == "t");
  }
  // After '=' the value is taken verbatim, even when it is empty or starts with "--".
  CHECK(load_nofile({"--auth_token=", "--warmup_urls="}).config.auth_token.empty());
  CHECK(load_nofile({"--port", "0"}).config.port == 0);  // 0: any free port
}

TEST_CASE("list keys take a JSON array or a comma-separated list in flags and env", "[config]") {
  const Cidrs want = cidrs({"127.0.0.0/8", "::1/128"});
  CHECK(load_nofile({"--allow_cidrs", "127.0.0.0/8,::1/128"}).config.allow_cidrs == want);
  CHECK(load_nofile({"--allow_cidrs=[\"127.0.0.0/8\", \"::1/128\"]"}).config.allow_cidrs == want);
  CHECK(load_nofile({}, {"ASYNCFETCH_ALLOW_CIDRS= 127.0.0.0/8 , ::1/128 ,"}).config.allow_cidrs == want);
  CHECK(load_nofile({}, {R"(ASYNCFETCH_ALLOW_CIDRS=["127.0.0.0/8","::1/128"])"}).config.allow_cidrs == want);
  CHECK(load_nofile({}, {"ASYNCFETCH_WARMUP_URLS=http://a.example/,https://b.example/x?y=1"}).config.warmup_urls ==
        Strings{"http://a.example/", "https://b.example/x?y=1"});
  SECTION("an empty value or [] is the empty list, and overrides the file") {
    TempDir dir;
    const auto path = dir.write("l.json", R"({"allow_cidrs": ["10.0.0.0/8"]})");
    CHECK(load({"--config", path}).config.allow_cidrs == cidrs({"10.0.0.0/8"}));
    CHECK(load({"--config", path, "--allow_cidrs="}).config.allow_cidrs.empty());
    CHECK(load({"--config", path}, {"ASYNCFETCH_ALLOW_CIDRS=[]"}).config.allow_cidrs.empty());
  }
  SECTION("a JSON value that is not an array of strings") {
    const auto e = error_nofile({"--allow_cidrs=[1,2]"});
    CHECK(e.key == "allow_cidrs");
    CHECK(contains(e.what(), "JSON array of strings or a comma-separated list"));
    CHECK(error_nofile({"--warmup_urls=[\"http://a/\""}).key == "warmup_urls");  // unterminated
  }
}

TEST_CASE("the error message names the key, what was wrong, the value and its source", "[config][errors]") {
  const auto e = error_nofile({"--port", "abc"});
  CHECK(e.key == "port");
  CHECK(std::string(e.what()) == R"(config: "port": must be an integer 0..65535, got "abc" (from --port))");

  const auto env = error_nofile({}, {"ASYNCFETCH_PORT=70000"});
  CHECK(env.key == "port");
  CHECK(std::string(env.what()) == R"(config: "port": must be an integer 0..65535, got 70000 (from ASYNCFETCH_PORT))");
}

TEST_CASE("unknown keys are refused in the file, the environment and the flags", "[config][errors]") {
  TempDir dir;
  SECTION("file") {
    const auto path = dir.write("u.json", R"({"port": 1, "prot": 2})");
    const auto e = error_of({"--config", path});
    CHECK(e.key == "prot");
    CHECK(contains(e.what(), "unknown key"));
    CHECK(contains(e.what(), path));
    CHECK(contains(e.what(), "did you mean \"port\"?"));
  }
  SECTION("environment") {
    const auto e = error_nofile({}, {"ASYNCFETCH_MAX_QUEUES=1"});
    CHECK(e.key == "max_queues");
    CHECK(contains(e.what(), "(from ASYNCFETCH_MAX_QUEUES)"));
    CHECK(contains(e.what(), "did you mean ASYNCFETCH_MAX_QUEUE?"));
    CHECK(error_nofile({}, {"ASYNCFETCH_port=1"}).key == "port");  // the name must be upper case
    CHECK(error_nofile({}, {"ASYNCFETCH_=1"}).key.empty());
  }
  SECTION("other environment variables are ignored, ASYNCFETCH_CONFIG is the file") {
    CHECK_NOTHROW(load_nofile({}, {"HOME=/root", "ASYNCFETCHX=1", "MY_ASYNCFETCH_PORT=x"}));
  }
  SECTION("flags") {
    const auto e = error_nofile({"--max-body-bytes", "10"});
    CHECK(e.key == "max-body-bytes");
    CHECK(contains(e.what(), "did you mean --max_body_bytes?"));
    const auto far = error_nofile({"--frobnicate=1"});
    CHECK(far.key == "frobnicate");
    CHECK(contains(far.what(), "--help"));
  }
  SECTION("arguments that are not flags") {
    CHECK(error_nofile({"serve"}).key == "serve");
    CHECK(error_nofile({"-p", "80"}).key == "-p");
  }
  SECTION("a flag without a value") {
    const auto e = error_nofile({"--port"});
    CHECK(e.key == "port");
    CHECK(contains(e.what(), "needs a value"));
    CHECK(error_nofile({"--threads", "--port", "1"}).key == "threads");
    CHECK(error_of({"--config"}).key == "config");
  }
}

TEST_CASE("wrong types in the file are refused, naming the key", "[config][errors]") {
  TempDir dir;
  auto file_error = [&](const std::string& body) {
    return error_of({"--config", dir.write("t.json", "{" + body + "}")});
  };
  CHECK(file_error(R"("port": "8080")").key == "port");  // numbers are JSON integers in the file
  CHECK(file_error(R"("port": 80.5)").key == "port");
  CHECK(file_error(R"("threads": 4.0)").key == "threads");
  CHECK(file_error(R"("port": -1)").key == "port");
  CHECK(file_error(R"("port": true)").key == "port");
  CHECK(file_error(R"("port": null)").key == "port");
  CHECK(file_error(R"("timeout_ms": 1e20)").key == "timeout_ms");
  CHECK(file_error(R"("log_level": 1)").key == "log_level");
  CHECK(file_error(R"("auth_token": ["a"])").key == "auth_token");
  CHECK(file_error(R"("allow_cidrs": "127.0.0.0/8")").key == "allow_cidrs");  // arrays in the file
  CHECK(file_error(R"("warmup_urls": [1])").key == "warmup_urls");

  const auto e = file_error(R"("port": "8080")");
  CHECK(contains(e.what(), R"(must be an integer 0..65535, got "8080")"));
  CHECK(contains(file_error(R"("log_level": 1)").what(), "must be a string, got 1"));
  CHECK(contains(file_error(R"("allow_cidrs": "x")").what(), "must be an array of strings"));
}

TEST_CASE("numbers in flags and env are plain decimal", "[config][errors]") {
  for (const char* bad : {"", " 80", "80 ", "+80", "-1", "0x50", "8.0", "1e3", "99999999999999999999999"}) {
    INFO("value: '" << bad << "'");
    CHECK(error_nofile({std::string("--port=") + bad}).key == "port");
    CHECK(error_nofile({}, {std::string("ASYNCFETCH_TIMEOUT_MS=") + bad}).key == "timeout_ms");
  }
  CHECK(load_nofile({"--port=080"}).config.port == 80);
}

TEST_CASE("booleans are true or false, in the file, the environment and the flags", "[config]") {
  TempDir dir;
  CHECK(load_nofile({"--http2=false"}).config.http2 == false);
  CHECK(load_nofile({"--http2", "false"}).config.http2 == false);
  CHECK(load_nofile({"--http2=true"}, {"ASYNCFETCH_HTTP2=false"}).config.http2 == true);  // flag > env
  CHECK(load_nofile({}, {"ASYNCFETCH_HTTP2=false"}).config.http2 == false);
  CHECK(load({"--config", dir.write("b.json", R"({"http2": false})")}).config.http2 == false);

  for (const char* bad : {"", "1", "0", "yes", "TRUE", "False", " true"}) {
    INFO("value: '" << bad << "'");
    const auto e = error_nofile({std::string("--http2=") + bad});
    CHECK(e.key == "http2");
    CHECK(contains(e.what(), "\"http2\": must be true or false"));
    CHECK(error_nofile({}, {std::string("ASYNCFETCH_HTTP2=") + bad}).key == "http2");
  }
  for (const char* bad : {R"("false")", "0", "null", "[true]"}) {
    INFO("file value: " << bad);
    const auto e = error_of({"--config", dir.write("bad.json", std::string(R"({"http2": )") + bad + "}")});
    CHECK(e.key == "http2");
    CHECK(contains(e.what(), std::string("must be true or false, got ") + bad));
  }
}

TEST_CASE("out-of-range values are refused, naming the key", "[config][errors]") {
  struct Case {
    const char* key;
    const char* bad;
    const char* good;
  };
  const Case cases[] = {
      {"port", "65536", "65535"},
      {"threads", "257", "256"},
      {"global_concurrency", "0", "1"},
      {"default_concurrency", "0", "1"},
      {"max_concurrency_per_request", "0", "100000"},
      {"default_per_host_concurrency", "1000001", "0"},
      {"global_per_host_concurrency", "1000001", "0"},
      {"max_urls_per_request", "0", "100000"},
      {"max_urls_per_request", "100001", "1"},
      {"max_queue", "1000001", "0"},
      {"timeout_ms", "0", "600000"},
      {"timeout_ms", "600001", "1"},
      {"connect_timeout_ms", "0", "1"},
      {"max_redirects", "21", "20"},
      {"max_body_bytes", "0", "1073741824"},
      {"max_body_bytes", "1073741825", "1"},
      {"max_request_bytes", "67108865", "67108864"},
      {"ready_wait_ms", "600001", "0"},
      {"drain_timeout_ms", "600001", "0"},
      {"max_connections", "0", "1"},
      {"max_header_bytes", "1023", "1024"},
      {"max_header_bytes", "1048577", "1048576"},
      {"idle_timeout_ms", "99", "100"},
      {"idle_timeout_ms", "3600001", "3600000"},
      {"pool_max_idle_per_host", "100001", "0"},
      {"pool_idle_timeout_ms", "3600001", "0"},
      {"memory_trim_ms", "3600001", "0"},
  };
  for (const auto& c : cases) {
    INFO(c.key << " = " << c.bad);
    const auto e = error_nofile({std::string("--") + c.key + "=" + c.bad});
    CHECK(e.key == c.key);
    CHECK(contains(e.what(), std::string("\"") + c.key + "\": must be an integer"));
    CHECK(contains(e.what(), std::string("got ") + c.bad));
    CHECK_NOTHROW(load_nofile({std::string("--") + c.key + "=" + c.good}));
  }
}

TEST_CASE("default_concurrency may not exceed max_concurrency_per_request", "[config][errors]") {
  const auto e = error_nofile({"--max_concurrency_per_request=4"});  // default_concurrency stays 8
  CHECK(e.key == "default_concurrency");
  CHECK(contains(e.what(), "max_concurrency_per_request (4, from --max_concurrency_per_request)"));
  CHECK(contains(e.what(), "got 8 (from built-in default)"));
  CHECK(load_nofile({"--max_concurrency_per_request=4", "--default_concurrency=4"}).config.default_concurrency == 4);
  // The global limit may be below the per-request one: the global semaphore simply caps it.
  CHECK_NOTHROW(load_nofile({"--global_concurrency=2"}));
}

TEST_CASE("default_per_host_concurrency may not exceed max_concurrency_per_request", "[config][errors]") {
  const auto e = error_nofile({"--max_concurrency_per_request=4", "--default_concurrency=4",
                               "--default_per_host_concurrency=5"});
  CHECK(e.key == "default_per_host_concurrency");
  CHECK(contains(e.what(), "must be <= max_concurrency_per_request (4, from --max_concurrency_per_request)"));
  CHECK(contains(e.what(), "got 5 (from --default_per_host_concurrency)"));
  const auto c = load_nofile({"--max_concurrency_per_request=4", "--default_concurrency=4",
                              "--default_per_host_concurrency=4", "--global_per_host_concurrency=1000000"})
                     .config;
  CHECK(c.default_per_host_concurrency == 4);
  CHECK(c.global_per_host_concurrency == 1000000);
  // 0 is no limit, the default of both.
  CHECK(load_nofile({}).config.default_per_host_concurrency == 0);
  CHECK(load_nofile({}).config.global_per_host_concurrency == 0);
  // Through the environment too.
  CHECK(load_nofile({}, {"ASYNCFETCH_GLOBAL_PER_HOST_CONCURRENCY=6"}).config.global_per_host_concurrency == 6);
  CHECK(error_nofile({}, {"ASYNCFETCH_DEFAULT_PER_HOST_CONCURRENCY=-1"}).key == "default_per_host_concurrency");
}

TEST_CASE("allow_cidrs entries must be CIDRs or bare addresses", "[config][errors]") {
  for (const char* good : {"127.0.0.0/8", "10.1.2.3/8", "0.0.0.0/0", "192.168.0.1", "192.168.0.1/32", "::1/128",
                           "::/0", "fd00::/8", "fe80::1", "::ffff:10.0.0.0/104", "2001:db8::/32"}) {
    INFO(good);
    CHECK(load_nofile({std::string("--allow_cidrs=") + good}).config.allow_cidrs == cidrs({good}));
  }
  // Held parsed: host bits cleared, a bare address a whole-length prefix.
  const auto held = load_nofile({"--allow_cidrs=10.1.2.3/8,192.168.0.1,fe80::1"}).config.allow_cidrs;
  REQUIRE(held.size() == 3);
  CHECK(held[0].to_string() == "10.0.0.0/8");
  CHECK(held[1].to_string() == "192.168.0.1/32");
  CHECK(held[2].to_string() == "fe80::1/128");
  for (const char* bad : {"10.0.0.0/33", "::1/129", "10.0.0/8", "256.0.0.0/8", "10.0.0.0/", "10.0.0.0/-1",
                          "10.0.0.0/8/8", "10.0.0.0/ 8", "localhost", "fe80::1%eth0", "010.0.0.1", "10.0.0.0/0008"}) {
    INFO(bad);
    const auto e = error_nofile({std::string("--allow_cidrs=") + bad});
    CHECK(e.key == "allow_cidrs");
    CHECK(contains(e.what(), "each entry must be a CIDR"));
  }
  // One bad entry among good ones is named.
  const auto e = error_nofile({}, {"ASYNCFETCH_ALLOW_CIDRS=127.0.0.0/8,10.0.0.0/99"});
  CHECK(contains(e.what(), R"(got "10.0.0.0/99" (from ASYNCFETCH_ALLOW_CIDRS))"));
}

TEST_CASE("warmup_urls entries must be http:// or https:// URLs", "[config][errors]") {
  CHECK(load_nofile({"--warmup_urls=HTTP://Example.com/a,https://127.0.0.1:8443/"}).config.warmup_urls.size() == 2);
  for (const char* bad : {"ftp://example.com/", "example.com", "http://", "http:///path", "https://a b/",
                          "//example.com/", "http://user:pw@ss@example.com/", "http://example.com:0/",
                          "http://example.com:65536/", "http://a..b/"}) {
    INFO(bad);
    const auto e = error_nofile({std::string("--warmup_urls=") + bad});
    CHECK(e.key == "warmup_urls");
    CHECK(contains(e.what(), "each entry must be an http:// or https:// URL"));
  }
  // Credentials are allowed (the warm-up sends them as Basic), and masked in a message.
  CHECK(load_nofile({"--warmup_urls=http://user:pw@example.com/"}).config.warmup_urls.size() == 1);
  const auto e = error_nofile({"--warmup_urls=http://user:secret@example.com:0/"});
  CHECK(contains(e.what(), R"(got "http://user:***@example.com:0/")"));
  CHECK_FALSE(contains(e.what(), "secret"));
}

TEST_CASE("string keys with a rule", "[config][errors]") {
  SECTION("listen_address is an IP address") {
    CHECK(load_nofile({"--listen_address=::"}).config.listen_address == "::");
    CHECK(load_nofile({"--listen_address=10.1.2.3"}).config.listen_address == "10.1.2.3");
    for (const char* bad : {"localhost", "", "1.2.3", "127.0.0.1:80", "[::1]"}) {
      INFO(bad);
      CHECK(error_nofile({std::string("--listen_address=") + bad}).key == "listen_address");
    }
  }
  SECTION("log_level is one of four words") {
    for (const char* good : {"debug", "info", "warn", "error"})
      CHECK(load_nofile({std::string("--log_level=") + good}).config.log_level == good);
    for (const char* bad : {"INFO", "warning", "trace", ""}) {
      INFO(bad);
      const auto e = error_nofile({std::string("--log_level=") + bad});
      CHECK(e.key == "log_level");
      CHECK(contains(e.what(), "one of debug, info, warn, error"));
    }
  }
  SECTION("auth_token is printable ASCII without spaces") {
    CHECK(load_nofile({"--auth_token=abc-DEF_123.~+/="}).config.auth_token == "abc-DEF_123.~+/=");
    CHECK(error_nofile({"--auth_token=two words"}).key == "auth_token");
    CHECK(error_nofile({"--auth_token=tab\there"}).key == "auth_token");
  }
  SECTION("ca_file is empty or a readable file") {
    TempDir dir;
    const auto pem = dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
    CHECK(load_nofile({"--ca_file", pem}).config.ca_file == pem);
    const auto e = error_nofile({"--ca_file", (dir.path / "missing.pem").string()});
    CHECK(e.key == "ca_file");
    CHECK(error_nofile({"--ca_file", dir.path.string()}).key == "ca_file");  // a directory
  }
}

TEST_CASE("a value that a stronger source overrides must still be valid", "[config][errors]") {
  TempDir dir;
  const auto path = dir.write("o.json", R"({"port": 99999})");
  const auto e = error_of({"--config", path, "--port=80"});
  CHECK(e.key == "port");
  CHECK(contains(e.what(), "(from " + path + ")"));
  CHECK(error_nofile({"--port=80"}, {"ASYNCFETCH_PORT=x"}).key == "port");
}

TEST_CASE("an unreadable or malformed file is an error with key \"\" naming the path", "[config][errors]") {
  TempDir dir;
  SECTION("missing file named by --config") {
    const auto path = (dir.path / "nope.json").string();
    const auto e = error_of({"--config", path});
    CHECK(e.key.empty());
    CHECK(contains(e.what(), path));
    CHECK(contains(e.what(), "No such file"));
  }
  SECTION("missing file named by ASYNCFETCH_CONFIG") {
    const auto path = (dir.path / "nope.json").string();
    const auto e = error_of({}, {"ASYNCFETCH_CONFIG=" + path});
    CHECK(e.key.empty());
    CHECK(contains(e.what(), path));
    CHECK(contains(e.what(), "ASYNCFETCH_CONFIG"));
  }
  SECTION("a directory") {
    const auto e = error_of({"--config", dir.path.string()});
    CHECK(e.key.empty());
    CHECK(contains(e.what(), "is a directory"));
  }
  SECTION("not JSON") {
    const auto path = dir.write("bad.json", "{\"port\": 80,,}");
    const auto e = error_of({"--config", path});
    CHECK(e.key.empty());
    CHECK(contains(e.what(), path));
    CHECK(contains(e.what(), "not valid JSON"));
  }
  SECTION("empty file") {
    const auto e = error_of({"--config", dir.write("empty.json", "")});
    CHECK(e.key.empty());
    CHECK(contains(e.what(), "not valid JSON"));
  }
  SECTION("JSON, but not an object") {
    const auto e = error_of({"--config", dir.write("arr.json", R"(["port", 80])")});
    CHECK(e.key.empty());
    CHECK(contains(e.what(), "must hold a JSON object, got array"));
  }
  SECTION("a key given twice") {
    const auto e = error_of({"--config", dir.write("dup.json", R"({"port": 80, "threads": 1, "port": 81})")});
    CHECK(e.key == "port");
    CHECK(contains(e.what(), "more than once"));
  }
  SECTION("the default path exists but is broken") {
    dir.write("config/asyncfetch.json", "{");
    Chdir cd(dir.path);
    const auto e = error_of({});
    CHECK(e.key.empty());
    CHECK(contains(e.what(), "config/asyncfetch.json"));
  }
}

TEST_CASE("--help and -h ask for help, whatever else is on the command line", "[config]") {
  CHECK(load({"--help"}).help);
  CHECK(load({"-h"}).help);
  CHECK(load({"--port=abc", "--bogus", "--help"}).help);
  CHECK(load({"--help"}, {"ASYNCFETCH_BOGUS=1", "ASYNCFETCH_CONFIG=/nonexistent.json"}).help);
  CHECK_FALSE(load_nofile({"--auth_token", "-h"}).help);  // a value, not a flag
  CHECK(error_nofile({"--help=yes"}).key == "help");
}

TEST_CASE("help_text lists every key with its type, default and meaning", "[config]") {
  const std::string h = asyncfetch::help_text();
  CHECK(contains(h, "Usage: asyncfetch"));
  CHECK(contains(h, "ASYNCFETCH_"));
  CHECK(contains(h, "--config PATH"));
  for (const char* key :
       {"listen_address", "port", "threads", "global_concurrency", "default_concurrency",
        "max_concurrency_per_request", "default_per_host_concurrency", "global_per_host_concurrency",
        "max_urls_per_request", "max_queue", "timeout_ms", "connect_timeout_ms",
        "max_redirects", "max_body_bytes", "max_request_bytes", "ready_wait_ms", "warmup_urls", "drain_timeout_ms",
        "allow_cidrs", "auth_token", "ca_file", "log_level", "max_connections", "max_header_bytes",
        "idle_timeout_ms", "pool_max_idle_per_host", "pool_idle_timeout_ms", "memory_trim_ms", "http2"}) {
    INFO(key);
    CHECK(contains(h, std::string("  --") + key + " <"));
  }
  CHECK(contains(h, "--port <integer 0..65535>  default: 8080"));
  CHECK(contains(h, "--listen_address <IP address>  default: \"127.0.0.1\""));
  CHECK(contains(h, "--allow_cidrs <list of CIDRs>  default: []"));
  CHECK(contains(h, "--log_level <debug|info|warn|error>  default: \"info\""));
  CHECK(contains(h, "--http2 <boolean>  default: true"));
}

TEST_CASE("validate() checks a Config built in code", "[config][errors]") {
  Config c;
  c.port = 0;
  CHECK_NOTHROW(asyncfetch::validate(c));
  c.warmup_urls = {"http://example.com/", "nonsense"};
  try {
    asyncfetch::validate(c);
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(e.key == "warmup_urls");
    CHECK(std::string(e.what()) ==
          R"(config: "warmup_urls": each entry must be an http:// or https:// URL, got "nonsense")");
  }
  // allow_cidrs is held parsed: a Config cannot hold a bad range.
  c = Config{};
  c.allow_cidrs = {*Cidr::parse("127.0.0.0/8")};
  CHECK_NOTHROW(asyncfetch::validate(c));
  c = Config{};
  c.threads = 1000;
  CHECK_THROWS_AS(asyncfetch::validate(c), ConfigError);
  c = Config{};
  c.default_concurrency = c.max_concurrency_per_request + 1;
  CHECK_THROWS_AS(asyncfetch::validate(c), ConfigError);
  c = Config{};
  c.default_per_host_concurrency = c.max_concurrency_per_request + 1;
  CHECK_THROWS_AS(asyncfetch::validate(c), ConfigError);
}

TEST_CASE("the shipped config/asyncfetch.json loads and validates as-is", "[config]") {
  const std::string path = ASYNCFETCH_SHIPPED_CONFIG;
  const auto r = load({"--config", path});
  const Config& c = r.config;
  const Config d;
  CHECK(r.config_path == path);
  CHECK(c.listen_address == "127.0.0.1");
  CHECK(c.port == 8080);
  CHECK(c.allow_cidrs == cidrs({"127.0.0.0/8", "::1/128"}));  // the laptop demo fetches loopback
  CHECK(c.warmup_urls.empty());
  CHECK(c.auth_token.empty());
  // Every other key is written out at its built-in default.
  CHECK(c.threads == d.threads);
  CHECK(c.global_concurrency == d.global_concurrency);
  CHECK(c.default_concurrency == d.default_concurrency);
  CHECK(c.max_concurrency_per_request == d.max_concurrency_per_request);
  CHECK(c.default_per_host_concurrency == d.default_per_host_concurrency);
  CHECK(c.global_per_host_concurrency == d.global_per_host_concurrency);
  CHECK(c.max_urls_per_request == d.max_urls_per_request);
  CHECK(c.max_queue == d.max_queue);
  CHECK(c.timeout_ms == d.timeout_ms);
  CHECK(c.connect_timeout_ms == d.connect_timeout_ms);
  CHECK(c.max_redirects == d.max_redirects);
  CHECK(c.max_body_bytes == d.max_body_bytes);
  CHECK(c.max_request_bytes == d.max_request_bytes);
  CHECK(c.ready_wait_ms == d.ready_wait_ms);
  CHECK(c.drain_timeout_ms == d.drain_timeout_ms);
  CHECK(c.ca_file == d.ca_file);
  CHECK(c.log_level == d.log_level);
  CHECK(c.max_connections == d.max_connections);
  CHECK(c.max_header_bytes == d.max_header_bytes);
  CHECK(c.idle_timeout_ms == d.idle_timeout_ms);
  CHECK(c.pool_max_idle_per_host == d.pool_max_idle_per_host);
  CHECK(c.pool_idle_timeout_ms == d.pool_idle_timeout_ms);
  CHECK(c.memory_trim_ms == d.memory_trim_ms);
  CHECK(c.http2 == d.http2);
  // And it names every key (nothing is left to a default silently).
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* key : {"listen_address", "threads", "max_queue", "pool_idle_timeout_ms", "ca_file", "warmup_urls"})
    CHECK(contains(text, std::string("\"") + key + "\""));
}

// Found by fuzz/config_fuzz: a flag or env value that is not valid UTF-8 made
// the "got ..." part of the message throw nlohmann's type_error 316 instead of
// a ConfigError.
TEST_CASE("values that are not UTF-8 are refused with a ConfigError, not another exception", "[config][errors]") {
  const auto flag = error_nofile({"--threads-l\xda" "og_level=warn"});
  CHECK(contains(flag.what(), "unknown key"));

  const auto port = error_nofile({"--port=80\xff"});
  CHECK(port.key == "port");
  CHECK(contains(port.what(), "\"80\xef\xbf\xbd\""));  // shown with U+FFFD

  const auto env = error_nofile({}, {"ASYNCFETCH_LOG_LEVEL=inf\xc3"});
  CHECK(env.key == "log_level");

  const auto token = error_nofile({"--auth_token", "t\xe2\x82 x"});
  CHECK(token.key == "auth_token");

  const auto list = error_nofile({"--allow_cidrs=10.0.0.0/8,\xff\xfe"});
  CHECK(list.key == "allow_cidrs");

  const auto arg = error_nofile({"stray\x80"});
  CHECK(contains(arg.what(), "unexpected argument"));

  // A long value is cut without splitting a UTF-8 sequence.
  std::string long_value(75, 'a');  // with the opening quote, byte 77 is inside an "é"
  for (int i = 0; i < 20; ++i) long_value += "\xc3\xa9";
  const auto cut = error_nofile({"--log_level=" + long_value});
  const std::string what = cut.what();
  const auto dots = what.find("...");
  REQUIRE(dots != std::string::npos);
  CHECK((static_cast<unsigned char>(what[dots - 1]) & 0xC0) != 0xC0);  // not a lead byte left alone
}

TEST_CASE("proxy: empty, none or an http:// proxy, the environment's variables read and checked", "[config][proxy]") {
  CHECK(load_nofile({}).config.proxy.empty());
  CHECK(load_nofile({"--proxy=none"}).config.proxy == "none");
  CHECK(load_nofile({"--proxy=http://u:p@proxy.corp:3128"}).config.proxy == "http://u:p@proxy.corp:3128");
  for (const char* bad : {"https://proxy:443", "socks5://proxy:1080", "http://proxy:3128/x", "http://pro xy", "http://:1"}) {
    INFO(bad);
    const auto e = error_nofile({std::string("--proxy=") + bad});
    CHECK(e.key == "proxy");
    CHECK(contains(e.what(), "must be empty, \"none\" or http://[user:password@]host:port"));
  }
  // The upper-case name wins, as in Go; the lower-case one when it is unset or empty.
  auto c = load_nofile({}, {"HTTP_PROXY=http://a:1", "http_proxy=http://b:2", "https_proxy=http://c:3",
                            "HTTPS_PROXY=", "no_proxy=.internal,10.0.0.0/8"}).config;
  CHECK(c.proxy_env.http_proxy == "http://a:1");
  CHECK(c.proxy_env.https_proxy == "http://c:3");
  CHECK(c.proxy_env.no_proxy == ".internal,10.0.0.0/8");
  // A bad variable stops start-up, named.
  auto e = error_nofile({}, {"HTTPS_PROXY=socks5://proxy:1080"});
  CHECK(e.key == "HTTPS_PROXY");
  CHECK(contains(e.what(), "socks5:// proxies are not supported"));
  CHECK(contains(e.what(), "(from the environment)"));
  e = error_nofile({}, {"http_proxy=http://proxy:http"});
  CHECK(e.key == "HTTP_PROXY");
  e = error_nofile({}, {"NO_PROXY=a.test,b test"});
  CHECK(e.key == "NO_PROXY");
  CHECK(contains(e.what(), "has an invalid entry \"b test\""));
  // With the key set, the proxy variables are not used, so not checked; NO_PROXY still is.
  CHECK_NOTHROW(load_nofile({"--proxy=none"}, {"HTTPS_PROXY=socks5://proxy:1080"}));
  CHECK(error_nofile({"--proxy=none"}, {"NO_PROXY=[::1"}).key == "NO_PROXY");
}

TEST_CASE("happy_eyeballs_delay_ms: 10..10000 ms, 250 by default", "[config]") {
  CHECK(load_nofile({}).config.happy_eyeballs_delay_ms == 250);
  CHECK(load_nofile({"--happy_eyeballs_delay_ms=100"}).config.happy_eyeballs_delay_ms == 100);
  CHECK(error_nofile({"--happy_eyeballs_delay_ms=5"}).key == "happy_eyeballs_delay_ms");
  CHECK(error_nofile({"--happy_eyeballs_delay_ms=10001"}).key == "happy_eyeballs_delay_ms");
}

TEST_CASE("resolve: an object of host names to addresses, from the file, a flag or the environment", "[config]") {
  CHECK(load_nofile({}).config.resolve.empty());
  using Map = std::map<std::string, std::vector<std::string>>;
  const Map want = {{"api.internal.test", {"::1", "127.0.0.1"}}, {"b.test", {"10.0.0.1"}}};
  // Names are held as URLs canonicalise them (lower case).
  CHECK(load_nofile({R"(--resolve={"API.internal.test":["::1","127.0.0.1"],"b.test":["10.0.0.1"]})"}).config.resolve ==
        want);
  CHECK(load_nofile({}, {R"(ASYNCFETCH_RESOLVE={"api.internal.test":["::1","127.0.0.1"],"b.test":["10.0.0.1"]})"})
            .config.resolve == want);
  TempDir dir;
  const auto path = dir.write("r.json", R"({"resolve": {"api.internal.test": ["::1", "127.0.0.1"], "b.test": ["10.0.0.1"]}})");
  CHECK(load({"--config", path}).config.resolve == want);
  CHECK(load({"--config", path, "--resolve={}"}).config.resolve.empty());

  for (const char* bad : {R"(--resolve=["a.test"])", "--resolve=a.test:127.0.0.1", R"(--resolve={"a.test":"127.0.0.1"})",
                          R"(--resolve={"a.test":[]})", R"(--resolve={"a.test":["localhost"]})",
                          R"(--resolve={"a.test":["fe80::1%eth0"]})", R"(--resolve={"127.0.0.1":["127.0.0.1"]})",
                          R"(--resolve={"a.test:80":["127.0.0.1"]})", R"(--resolve={"a b":["127.0.0.1"]})",
                          R"(--resolve={"a.test":[1]})"}) {
    INFO(bad);
    CHECK(error_nofile({bad}).key == "resolve");
  }
  CHECK(contains(error_nofile({R"(--resolve={"a.test":["x"]})"}).what(),
                 R"("a.test": each entry must be an IPv4 or IPv6 address, got "x")"));
  CHECK(contains(error_nofile({R"(--resolve={"a.test":[]})"}).what(), R"("a.test" must list at least one address)"));
}
