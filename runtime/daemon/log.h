#pragma once
// The daemon's log, on stderr: one line per happening, with a timestamp,
// a level and the component that speaks, as text
//
//   2026-12-03T08:00:00.123Z warning delivery: an action was dead-lettered seq=17 channel=email attempts=5
//
// or as one JSON object per line (`"log_format": "json"`):
//
//   {"time":"2026-12-03T08:00:00.123Z","level":"warning","component":"delivery",
//    "message":"an action was dead-lettered","seq":17,"channel":"email","attempts":5}
//
// What may be logged: what the daemon itself chose or counted (positions,
// counts, channel and journey names, routes, codes, file paths). Never a
// value from a record, a request body or a peer's answer: those may hold
// personal data (names, e-mail addresses, phone numbers). Every message
// and field is still made printable and bounded (base/text.h), so that no
// byte can break a line or an operator's terminal.
//
// Safe from any thread; each line is one write.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace tutti::runtime {

enum class LogLevel { kDebug = 0, kInfo, kWarning, kError };
enum class LogFormat { kText, kJson };

/// How lines are written from now on, and the least level written.
void ConfigureLog(LogFormat format, LogLevel least = LogLevel::kInfo);
LogFormat CurrentLogFormat();

/// "debug", "info", "warning", "error".
const char* LogLevelName(LogLevel level);

/// One field of a line: a name and a value the daemon chose (a number is
/// written as a JSON number).
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), text(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), text(v) {}
  LogField(std::string_view k, const char* v) : key(k), text(v) {}
  LogField(std::string_view k, bool v) : key(k), text(v ? "true" : "false"), number(true) {}
  template <typename N, typename = std::enable_if_t<std::is_arithmetic_v<N>>>
  LogField(std::string_view k, N v) : key(k), text(std::to_string(v)), number(true) {}

  std::string_view key;
  std::string text;
  bool number = false;
};

/// Writes one line.
void Log(LogLevel level, std::string_view component, std::string_view message,
         std::initializer_list<LogField> fields = {});

/// The line Log would write at wall-clock time `unix_nanos`, without the
/// newline (for tests).
std::string FormatLogLine(LogFormat format, int64_t unix_nanos, LogLevel level, std::string_view component,
                          std::string_view message, std::initializer_list<LogField> fields);

}  // namespace tutti::runtime
