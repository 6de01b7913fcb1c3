#include "asyncfetch/telemetry/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace asyncfetch::log {

namespace {
std::atomic<int> min_level{static_cast<int>(Level::info)};
std::mutex out_mutex;
constexpr const char* names[] = {"debug", "info", "warn", "error"};

std::string timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto t = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}
}  // namespace

void set_level(std::string_view name) {
  for (int i = 0; i < 4; ++i)
    if (name == names[i]) min_level = i;
}

bool enabled(Level l) noexcept { return static_cast<int>(l) >= min_level.load(std::memory_order_relaxed); }

void write(Level l, std::string_view msg, nlohmann::json fields) {
  if (!enabled(l)) return;
  nlohmann::json line = {{"ts", timestamp()}, {"level", names[static_cast<int>(l)]}, {"msg", msg}};
  if (fields.is_object()) line.update(fields);
  auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lk(out_mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

nlohmann::json tagged(const RequestTag& tag, nlohmann::json fields) {
  fields["request_id"] = tag.request_id;
  fields["trace_id"] = tag.trace_id;
  return fields;
}

}  // namespace asyncfetch::log
