#pragma once
// Wall-clock time in a customer's time zone, for quiet hours and
// `wait until 09:00 local`. Zones are IANA names ("America/New_York") read
// from the system tz database; "UTC" and an empty name mean UTC.

#include <string>
#include <string_view>
#include "base/status.h"
#include "compiler/eval/value.h"
#include "runtime/engine/instant.h"

namespace tutti::runtime {

/// Minutes since local midnight at `t` in `zone`; kInvalid for an unknown
/// zone.
Result<int> LocalMinuteOfDay(Instant t, std::string_view zone);

/// The first instant at or after `t` whose local wall-clock time in `zone` is
/// `minute_of_day` (minutes after midnight). On a day when that time does
/// not exist (a daylight-saving gap), the first instant after the gap.
/// kInvalid for an unknown zone.
Result<Instant> NextLocalTime(Instant t, std::string_view zone, int minute_of_day);

/// A customer's time zone: its profile's `timezone` field, or "" (UTC).
std::string_view TimeZoneOf(const compiler::eval::Value& record);

/// Whether `minute` lies in [from, until), a range that wraps past midnight
/// when until <= from (20:00-08:00).
bool InDailyRange(int minute, int from, int until);

}  // namespace tutti::runtime
