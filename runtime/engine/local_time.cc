#include "runtime/engine/local_time.h"

#include <chrono>
#include <iterator>
#include <string>
#include <date/tz.h>

namespace tutti::runtime {
namespace {

using std::chrono::nanoseconds;
using SysNanos = date::sys_time<nanoseconds>;

/// The zone, or null for UTC; throws std::runtime_error for an unknown name.
const date::time_zone* Zone(std::string_view name) {
  if (name.empty() || name == "UTC" || name == "Etc/UTC") return nullptr;
  // Customers live in a few zones, and every quiet-hours check asks for
  // one: the last eight found, per thread, spare tzdb's search of every
  // zone's name. Only names tzdb knows are kept.
  struct Found {
    std::string name;
    const date::time_zone* zone = nullptr;
  };
  thread_local Found found[8];
  thread_local size_t next = 0;
  for (const Found& f : found)
    if (f.zone != nullptr && f.name == name) return f.zone;
  const date::time_zone* zone = date::locate_zone(name);
  found[next] = Found{std::string(name), zone};
  next = (next + 1) % std::size(found);
  return zone;
}

}  // namespace

Result<int> LocalMinuteOfDay(Instant t, std::string_view zone) {
  try {
    const date::time_zone* z = Zone(zone);
    SysNanos sys{nanoseconds(t)};
    auto local = z ? z->to_local(sys).time_since_epoch() : sys.time_since_epoch();
    auto day = date::floor<date::days>(local);
    return static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(local - day).count());
  } catch (const std::exception&) {
    return Status::Invalid("unknown time zone \"" + std::string(zone) + "\"");
  }
}

Result<Instant> NextLocalTime(Instant t, std::string_view zone, int minute_of_day) {
  try {
    const date::time_zone* z = Zone(zone);
    SysNanos sys{nanoseconds(t)};
    auto local = z ? z->to_local(sys) : date::local_time<nanoseconds>(sys.time_since_epoch());
    auto day = date::floor<date::days>(local);
    for (int i = 0; i < 3; ++i) {
      auto wanted = date::local_time<nanoseconds>(day + date::days(i) + std::chrono::minutes(minute_of_day));
      Instant at;
      if (z == nullptr) {
        at = wanted.time_since_epoch().count();
      } else {
        auto info = z->get_info(wanted);
        if (info.result == date::local_info::nonexistent) {
          at = date::sys_time<nanoseconds>(info.first.end).time_since_epoch().count();
        } else {
          // Ambiguous (the hour repeats): the earlier of the two.
          at = z->to_sys(wanted, date::choose::earliest).time_since_epoch().count();
        }
      }
      if (at >= t) return at;
    }
    return t;  // not reached: some day within three has the time
  } catch (const std::exception&) {
    return Status::Invalid("unknown time zone \"" + std::string(zone) + "\"");
  }
}

bool InDailyRange(int minute, int from, int until) {
  if (from < until) return minute >= from && minute < until;
  return minute >= from || minute < until;
}

std::string_view TimeZoneOf(const compiler::eval::Value& record) {
  using compiler::eval::ValueKind;
  const compiler::eval::Value* tz = record.is(ValueKind::kRecord) ? record.AsRecord().Find("timezone") : nullptr;
  return tz && tz->is(ValueKind::kString) ? std::string_view(tz->AsString()) : std::string_view();
}

}  // namespace tutti::runtime
