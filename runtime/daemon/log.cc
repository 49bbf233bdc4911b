#include "runtime/daemon/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "base/text.h"

namespace tutti::runtime {
namespace {

std::atomic<LogFormat> format_{LogFormat::kText};
std::atomic<LogLevel> least_{LogLevel::kInfo};

constexpr size_t kMaxMessageBytes = 2048;
constexpr size_t kMaxFieldBytes = 512;

std::string Timestamp(int64_t unix_nanos) {
  time_t seconds = static_cast<time_t>(unix_nanos / 1000000000);
  int millis = static_cast<int>(unix_nanos / 1000000 % 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char out[40];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return out;
}

/// A field's text in a text line: bare when it is a plain word, quoted
/// (JSON string syntax) otherwise.
std::string TextValue(const std::string& v) {
  bool plain = !v.empty();
  for (char c : v) plain &= c != ' ' && c != '"' && c != '=' && c != '\\';
  return plain ? v : nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void ConfigureLog(LogFormat format, LogLevel least) {
  format_ = format;
  least_ = least;
}

LogFormat CurrentLogFormat() { return format_; }

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "info";
}

std::string FormatLogLine(LogFormat format, int64_t unix_nanos, LogLevel level, std::string_view component,
                          std::string_view message, std::initializer_list<LogField> fields) {
  std::string text = Printable(message, kMaxMessageBytes);
  if (format == LogFormat::kJson) {
    nlohmann::ordered_json line{{"time", Timestamp(unix_nanos)},
                                {"level", LogLevelName(level)},
                                {"component", Printable(component, 64)},
                                {"message", text}};
    for (const LogField& f : fields) {
      std::string key = Printable(f.key, 64);
      auto number = f.number ? nlohmann::ordered_json::parse(f.text, nullptr, false) : nlohmann::ordered_json();
      // nan and inf are no JSON numbers: written as text.
      if (f.number && !number.is_discarded()) line[key] = number;
      else line[key] = Printable(f.text, kMaxFieldBytes);
    }
    return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  std::string line = Timestamp(unix_nanos) + " " + LogLevelName(level) + " " + Printable(component, 64) + ": " + text;
  for (const LogField& f : fields)
    line += " " + Printable(f.key, 64) + "=" + (f.number ? f.text : TextValue(Printable(f.text, kMaxFieldBytes)));
  return line;
}

void Log(LogLevel level, std::string_view component, std::string_view message, std::initializer_list<LogField> fields) {
  if (level < least_.load()) return;
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  std::string line = FormatLogLine(format_, now, level, component, message, fields) + "\n";
  // One write per line: lines from several threads do not interleave.
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
}

}  // namespace tutti::runtime
