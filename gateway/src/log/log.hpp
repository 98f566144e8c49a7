#pragma once
// Structured logging: one JSON object per line by default (LOG_FORMAT=text for humans), with levels
// and contextual fields. Lines go through spdlog's async logger to stdout, so callers on I/O
// threads never wait on the terminal.
// Thread safety: every function may be called from any thread after init().
#include <boost/json/object.hpp>
#include <string_view>

#include "config/config.hpp"

namespace gw::log {

using Level = config::LogLevel;
using Fields = boost::json::object;

/// Sets level and format; safe to call again (tests).
void init(Level level, config::LogFormat format);
/// Flushes and stops the background writer.
void shutdown();
/// Writes out buffered lines now (lifecycle events that tools wait for, e.g. "listening").
void flush();
[[nodiscard]] bool enabled(Level level) noexcept;
void write(Level level, std::string_view msg, const Fields& fields = {});

inline void debug(std::string_view m, const Fields& f = {}) {
  write(Level::debug, m, f);
}
inline void info(std::string_view m, const Fields& f = {}) {
  write(Level::info, m, f);
}
inline void warn(std::string_view m, const Fields& f = {}) {
  write(Level::warn, m, f);
}
inline void error(std::string_view m, const Fields& f = {}) {
  write(Level::error, m, f);
}

/// A logger with fields added to every line (e.g. {"component":"db"}).
class Logger {
 public:
  explicit Logger(Fields context) : context_(std::move(context)) {}
  void write(Level level, std::string_view msg, const Fields& fields = {}) const;
  void debug(std::string_view m, const Fields& f = {}) const { write(Level::debug, m, f); }
  void info(std::string_view m, const Fields& f = {}) const { write(Level::info, m, f); }
  void warn(std::string_view m, const Fields& f = {}) const { write(Level::warn, m, f); }
  void error(std::string_view m, const Fields& f = {}) const { write(Level::error, m, f); }

 private:
  Fields context_;
};

}  // namespace gw::log
