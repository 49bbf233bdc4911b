#include "runtime/engine/instant.h"

#include <limits>

namespace tutti::runtime {

std::optional<Instant> ParseInstant(std::string_view rfc3339) {
  compiler::eval::Value t = compiler::eval::ParseTimestamp(rfc3339);
  return t.IsError() ? std::nullopt : ToInstant(t.AsTimestamp());
}

std::optional<Instant> ToInstant(compiler::eval::Timestamp t) {
  __int128 ns = static_cast<__int128>(t.seconds) * kNanosPerSecond + t.nanos;
  if (ns < std::numeric_limits<Instant>::min() || ns > std::numeric_limits<Instant>::max())
    return std::nullopt;
  return static_cast<Instant>(ns);
}

compiler::eval::Timestamp ToTimestamp(Instant t) {
  int64_t s = t / kNanosPerSecond;
  int64_t n = t % kNanosPerSecond;
  if (n < 0) {
    n += kNanosPerSecond;
    --s;
  }
  return {s, static_cast<int32_t>(n)};
}

std::string FormatInstant(Instant t) { return compiler::eval::FormatTimestamp(ToTimestamp(t)); }

}  // namespace tutti::runtime
