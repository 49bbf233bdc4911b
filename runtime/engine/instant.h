#pragma once
// Engine time: an Instant is nanoseconds since the Unix epoch in an int64,
// which covers 1677-09-21 to 2262-04-11. Events outside that range are
// refused at the edge (see Engine::Ingest). The engine never reads the wall
// clock: every Instant comes from an event or from a timer it set.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/eval/value.h"

namespace tutti::runtime {

using Instant = int64_t;

inline constexpr Instant kNanosPerMilli = 1000000;
inline constexpr Instant kNanosPerSecond = 1000000000;
inline constexpr Instant kNanosPerDay = 86400 * kNanosPerSecond;

/// `millis` after `t`, or nullopt when that lies past the engine's range
/// (a wait that would end after 2262-04-11 cannot be kept).
inline std::optional<Instant> After(Instant t, int64_t millis) {
  Instant span = 0, end = 0;
  if (__builtin_mul_overflow(millis, kNanosPerMilli, &span) || __builtin_add_overflow(t, span, &end)) return std::nullopt;
  return end;
}

/// The Instant of a timestamp, or nullopt outside the engine's range.
std::optional<Instant> ToInstant(compiler::eval::Timestamp t);
compiler::eval::Timestamp ToTimestamp(Instant t);
/// RFC 3339 in UTC: "2026-03-02T14:05:00Z".
std::string FormatInstant(Instant t);
/// The Instant an RFC 3339 time names, or nullopt for anything else and
/// for times outside the engine's range.
std::optional<Instant> ParseInstant(std::string_view rfc3339);

}  // namespace tutti::runtime
