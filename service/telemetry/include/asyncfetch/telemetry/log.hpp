// Structured logs: one JSON object per line on stderr,
// {"ts":"2026-11-25T18:00:00.123Z","level":"info","msg":"...", ...fields}.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace asyncfetch::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

// "debug" | "info" | "warn" | "error"; anything else leaves the level unchanged.
void set_level(std::string_view name);
bool enabled(Level l) noexcept;

void write(Level l, std::string_view msg, nlohmann::json fields = nlohmann::json::object());

inline void debug(std::string_view m, nlohmann::json f = nlohmann::json::object()) { write(Level::debug, m, std::move(f)); }
inline void info(std::string_view m, nlohmann::json f = nlohmann::json::object()) { write(Level::info, m, std::move(f)); }
inline void warn(std::string_view m, nlohmann::json f = nlohmann::json::object()) { write(Level::warn, m, std::move(f)); }
inline void error(std::string_view m, nlohmann::json f = nlohmann::json::object()) { write(Level::error, m, std::move(f)); }

// What ties a line to the API request it is about: the request's X-Request-Id
// and its trace id (32 hex digits).
struct RequestTag {
  std::string request_id;
  std::string trace_id;
};

// `fields` with the tag's request_id and trace_id added.
nlohmann::json tagged(const RequestTag& tag, nlohmann::json fields = nlohmann::json::object());

}  // namespace asyncfetch::log
