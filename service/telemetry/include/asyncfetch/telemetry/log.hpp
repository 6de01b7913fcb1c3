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

}  // namespace asyncfetch::log
