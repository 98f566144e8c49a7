#include "log/log.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <mutex>

#include "util/time.hpp"

namespace gw::log {

namespace {
std::atomic<int> g_level{static_cast<int>(Level::info)};
std::atomic<bool> g_text{false};
std::mutex g_init_mutex;
std::shared_ptr<spdlog::logger> g_logger;  // guarded by g_init_mutex for (re)initialisation

std::string_view level_name(Level l) {
  switch (l) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}

std::shared_ptr<spdlog::logger> logger() {
  std::lock_guard lock(g_init_mutex);
  if (!g_logger) {
    spdlog::init_thread_pool(16384, 1);
    g_logger = std::make_shared<spdlog::async_logger>(
        "gw", std::make_shared<spdlog::sinks::stdout_sink_mt>(), spdlog::thread_pool(),
        spdlog::async_overflow_policy::block);
    g_logger->set_pattern("%v");
    g_logger->set_level(spdlog::level::trace);
    g_logger->flush_on(spdlog::level::trace);
  }
  return g_logger;
}

void append_text_value(std::string& out, const boost::json::value& v) {
  if (v.is_string()) {
    out.append(v.get_string().data(), v.get_string().size());
  } else if (v.is_double()) {
    out += fmt::format("{}", v.get_double());  // 0.243, not Boost.JSON's 2.43E-1
  } else {
    out += boost::json::serialize(v);
  }
}

void emit(Level level, std::string_view msg, const Fields* context, const Fields& fields) {
  if (!enabled(level)) return;
  std::string line;
  auto ts = util::iso8601_now();
  if (g_text.load(std::memory_order_relaxed)) {
    line = ts;
    line += ' ';
    std::string lvl(level_name(level));
    for (auto& c : lvl) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    line += lvl;
    line += ' ';
    line += msg;
    auto add = [&](const Fields& f) {
      for (const auto& kv : f) {
        line += ' ';
        line.append(kv.key().data(), kv.key().size());
        line += '=';
        append_text_value(line, kv.value());
      }
    };
    if (context) add(*context);
    add(fields);
  } else {
    boost::json::object o;
    o["ts"] = ts;
    o["level"] = level_name(level);
    o["msg"] = msg;
    if (context) {
      for (const auto& kv : *context) o[kv.key()] = kv.value();
    }
    for (const auto& kv : fields) o[kv.key()] = kv.value();
    line = boost::json::serialize(o);
  }
  logger()->info(line);
}
}  // namespace

void init(Level level, config::LogFormat format) {
  g_level.store(static_cast<int>(level));
  g_text.store(format == config::LogFormat::text);
  (void)logger();
}

void shutdown() {
  std::lock_guard lock(g_init_mutex);
  if (g_logger) g_logger->flush();
  g_logger.reset();
  spdlog::shutdown();
}

bool enabled(Level level) noexcept {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view msg, const Fields& fields) {
  emit(level, msg, nullptr, fields);
}

void Logger::write(Level level, std::string_view msg, const Fields& fields) const {
  emit(level, msg, &context_, fields);
}

}  // namespace gw::log
