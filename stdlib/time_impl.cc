// Implementations of stdlib/time.cc. A time zone argument is an IANA name
// ("America/New_York", read from the system tz database through Howard
// Hinnant's date library) or a fixed offset ("+05:30", "-02:30", "02:00").

#ifndef USE_OS_TZDB
#define USE_OS_TZDB 1
#endif
#include <date/date.h>
#include <date/tz.h>

#include <chrono>
#include <stdexcept>

#include "stdlib/impl.h"

namespace tutti::stdlib {

namespace {

using compiler::eval::Value;
using Args = std::span<const Value>;

/// A fixed offset "[+-]HH:MM" in seconds.
bool ParseOffset(std::string_view tz, int64_t* seconds) {
  int sign = 1;
  if (!tz.empty() && (tz[0] == '+' || tz[0] == '-')) {
    sign = tz[0] == '-' ? -1 : 1;
    tz.remove_prefix(1);
  }
  if (tz.size() != 5 || tz[2] != ':') return false;
  for (size_t i : {0, 1, 3, 4})
    if (tz[i] < '0' || tz[i] > '9') return false;
  int h = (tz[0] - '0') * 10 + (tz[1] - '0');
  int m = (tz[3] - '0') * 10 + (tz[4] - '0');
  if (h > 23 || m > 59) return false;
  *seconds = sign * (h * 3600 + m * 60);
  return true;
}

/// The local wall-clock seconds (as if UTC) for `utc_seconds` in `tz`, or
/// an error value for an unknown zone.
Value LocalSeconds(int64_t utc_seconds, std::string_view tz) {
  if (tz.empty() || tz == "UTC" || tz == "Z") return Value(utc_seconds);
  int64_t offset = 0;
  if (ParseOffset(tz, &offset)) return Value(utc_seconds + offset);
  try {
    const date::time_zone* zone = date::locate_zone(tz);
    auto info = zone->get_info(date::sys_seconds(std::chrono::seconds(utc_seconds)));
    return Value(utc_seconds + static_cast<int64_t>(info.offset.count()));
  } catch (const std::exception&) {
    return Value::Error("unknown time zone: \"" + std::string(tz) + "\"");
  }
}

enum class Field { kYear, kMonth, kDate, kDayOfMonth, kDayOfWeek, kDayOfYear, kHours, kMinutes,
                   kSeconds, kMilliseconds };

template <Field F>
Value Get(Args a) {
  auto ts = a[0].AsTimestamp();
  Value local = LocalSeconds(ts.seconds, a.size() > 1 ? std::string_view(a[1].AsString())
                                                       : std::string_view());
  if (local.IsError()) return local;
  int64_t s = local.AsInt();
  auto days = date::floor<date::days>(date::sys_seconds(std::chrono::seconds(s)));
  int64_t sod = s - int64_t{days.time_since_epoch().count()} * 86400;
  date::year_month_day ymd(days);
  switch (F) {
    case Field::kYear: return Value(int64_t{static_cast<int>(ymd.year())});
    case Field::kMonth: return Value(int64_t{static_cast<unsigned>(ymd.month())} - 1);
    case Field::kDate: return Value(int64_t{static_cast<unsigned>(ymd.day())});
    case Field::kDayOfMonth: return Value(int64_t{static_cast<unsigned>(ymd.day())} - 1);
    case Field::kDayOfWeek: return Value(int64_t{date::weekday(days).c_encoding()});
    case Field::kDayOfYear: {
      auto jan1 = date::sys_days(date::year_month_day(ymd.year(), date::January, date::day(1)));
      return Value(int64_t{(days - jan1).count()});
    }
    case Field::kHours: return Value(sod / 3600);
    case Field::kMinutes: return Value(sod / 60 % 60);
    case Field::kSeconds: return Value(sod % 60);
    case Field::kMilliseconds: return Value(int64_t{ts.nanos / 1000000});
  }
  return Value();
}

constexpr __int128 kNanosPerSecond = 1000000000;

Value DurationHours(Args a) {
  return Value(static_cast<int64_t>(a[0].AsDuration().TotalNanos() / (3600 * kNanosPerSecond)));
}
Value DurationMinutes(Args a) {
  return Value(static_cast<int64_t>(a[0].AsDuration().TotalNanos() / (60 * kNanosPerSecond)));
}
Value DurationSeconds(Args a) {
  return Value(static_cast<int64_t>(a[0].AsDuration().TotalNanos() / kNanosPerSecond));
}
Value DurationMilliseconds(Args a) {
  return Value(static_cast<int64_t>(a[0].AsDuration().TotalNanos() / 1000000 % 1000));
}

template <Field F>
void AddAccessor(FunctionTable& t, const char* name) {
  t.Add(std::string("timestamp.") + name + "()", Get<F>);
  t.Add(std::string("timestamp.") + name + "(string)", Get<F>);
}

}  // namespace

void RegisterTimeImplementations(FunctionTable& t) {
  AddAccessor<Field::kYear>(t, "getFullYear");
  AddAccessor<Field::kMonth>(t, "getMonth");
  AddAccessor<Field::kDate>(t, "getDate");
  AddAccessor<Field::kDayOfMonth>(t, "getDayOfMonth");
  AddAccessor<Field::kDayOfWeek>(t, "getDayOfWeek");
  AddAccessor<Field::kDayOfYear>(t, "getDayOfYear");
  AddAccessor<Field::kHours>(t, "getHours");
  AddAccessor<Field::kMinutes>(t, "getMinutes");
  AddAccessor<Field::kSeconds>(t, "getSeconds");
  AddAccessor<Field::kMilliseconds>(t, "getMilliseconds");
  t.Add("duration.getHours()", DurationHours);
  t.Add("duration.getMinutes()", DurationMinutes);
  t.Add("duration.getSeconds()", DurationSeconds);
  t.Add("duration.getMilliseconds()", DurationMilliseconds);
}

}  // namespace tutti::stdlib
