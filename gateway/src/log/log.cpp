#include "log/log.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <mutex>

#include "util/time.hpp"
#include "wa/hex.hpp"

namespace gw::log {

namespace {
// Writes lines to stdout through its buffer, without a flush per line: a flush per line costs a
// syscall per request, and an async queue costs a thread wake-up per line. Lines are flushed
// within a second (spdlog::flush_every), at once for warnings and errors, and at shutdown.
class BufferedStdoutSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  BufferedStdoutSink() { std::setvbuf(stdout, nullptr, _IOFBF, 1 << 16); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::fwrite(msg.payload.data(), 1, msg.payload.size(), stdout);
    std::fputc('\n', stdout);
  }
  void flush_() override { std::fflush(stdout); }
};

std::atomic<int> g_level{static_cast<int>(Level::info)};
std::atomic<bool> g_text{false};
std::mutex g_init_mutex;
std::shared_ptr<spdlog::logger> g_logger;      // guarded by g_init_mutex for (re)initialisation
std::atomic<spdlog::logger*> g_fast{nullptr};  // the same logger, read without the mutex

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

spdlog::logger& logger() {
  if (auto* l = g_fast.load(std::memory_order_acquire)) return *l;
  std::lock_guard lock(g_init_mutex);
  if (!g_logger) {
    g_logger = std::make_shared<spdlog::logger>("gw", std::make_shared<BufferedStdoutSink>());
    g_logger->set_level(spdlog::level::trace);
    // Flushing every line costs a write(2) per request; flush warnings and errors at once and
    // everything else within a second (and at shutdown).
    g_logger->flush_on(spdlog::level::warn);
    spdlog::flush_every(std::chrono::seconds(1));
    spdlog::register_logger(g_logger);  // flush_every reaches registered loggers only
    g_fast.store(g_logger.get(), std::memory_order_release);
  }
  return *g_logger;
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

// JSON string literal of `s` appended to `out` (RFC 8259 escapes; UTF-8 passes through).
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          wa::hex::append(out, c);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

// Scalars are written in place (no temporary string per field); containers go through
// Boost.JSON.
void append_json_value(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::string:
      append_json_string(out, v.get_string());
      break;
    case boost::json::kind::int64:
      out += std::to_string(v.get_int64());
      break;
    case boost::json::kind::uint64:
      out += std::to_string(v.get_uint64());
      break;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case boost::json::kind::null:
      out += "null";
      break;
    case boost::json::kind::double_:
      out += fmt::format("{}", v.get_double());
      break;
    default:
      out += boost::json::serialize(v);
      break;
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
    // Written field by field: no merged object, one growing buffer.
    line.reserve(256);
    line = "{\"ts\":\"";
    line += ts;
    line += "\",\"level\":\"";
    line += level_name(level);
    line += "\",\"msg\":";
    append_json_string(line, msg);
    auto add = [&line](const Fields& f) {
      for (const auto& kv : f) {
        line += ',';
        append_json_string(line, kv.key());
        line += ':';
        append_json_value(line, kv.value());
      }
    };
    if (context) add(*context);
    add(fields);
    line += '}';
  }
  logger().log(level >= Level::warn ? spdlog::level::warn : spdlog::level::info, line);
}
}  // namespace

void init(Level level, config::LogFormat format) {
  g_level.store(static_cast<int>(level));
  g_text.store(format == config::LogFormat::text);
  logger();
}

void shutdown() {
  std::lock_guard lock(g_init_mutex);
  if (g_logger) g_logger->flush();
  g_fast.store(nullptr, std::memory_order_release);
  spdlog::shutdown();
  g_logger.reset();
}

void flush() {
  logger().flush();
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
