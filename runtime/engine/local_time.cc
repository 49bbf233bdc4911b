#include "runtime/engine/local_time.h"

#include <chrono>
#include <iterator>
#include <string>
#include <date/tz.h>

namespace tutti::runtime {
namespace {

using std::chrono::nanoseconds;
using SysNanos = date::sys_time<nanoseconds>;

/// A zone found by name, with the span of time (whole seconds since the
/// epoch, [begin, end)) its offset from UTC was last looked up for.
struct FoundZone {
  std::string name;
  const date::time_zone* zone = nullptr;
  int64_t begin = 0, end = 0;
  std::chrono::seconds offset{0};

  /// The zone's offset from UTC at `sys`. Customers' times cluster, and an
  /// offset holds for months: tzdb's search of the zone's transitions
  /// runs when `sys` leaves the span last found.
  std::chrono::seconds OffsetAt(SysNanos sys) {
    const int64_t s = date::floor<std::chrono::seconds>(sys).time_since_epoch().count();
    if (s < begin || s >= end) {
      const date::sys_info info = zone->get_info(sys);
      begin = info.begin.time_since_epoch().count();
      end = info.end.time_since_epoch().count();
      offset = info.offset;
    }
    return offset;
  }
};

/// The zone, or null for UTC; throws std::runtime_error for an unknown name.
FoundZone* Zone(std::string_view name) {
  if (name.empty() || name == "UTC" || name == "Etc/UTC") return nullptr;
  // Customers live in a few zones, and every quiet-hours check asks for
  // one: the last eight found, per thread, spare tzdb's search of every
  // zone's name. Only names tzdb knows are kept.
  thread_local FoundZone found[8];
  thread_local size_t next = 0;
  for (FoundZone& f : found)
    if (f.zone != nullptr && f.name == name) return &f;
  const date::time_zone* zone = date::locate_zone(name);
  found[next] = FoundZone{std::string(name), zone};
  FoundZone* kept = &found[next];
  next = (next + 1) % std::size(found);
  return kept;
}

}  // namespace

Result<int> LocalMinuteOfDay(Instant t, std::string_view zone) {
  try {
    FoundZone* z = Zone(zone);
    SysNanos sys{nanoseconds(t)};
    // What time_zone::to_local does, with the offset kept from the last call.
    auto local = z ? sys.time_since_epoch() + z->OffsetAt(sys) : sys.time_since_epoch();
    auto day = date::floor<date::days>(local);
    return static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(local - day).count());
  } catch (const std::exception&) {
    return Status::Invalid("unknown time zone \"" + std::string(zone) + "\"");
  }
}

Result<Instant> NextLocalTime(Instant t, std::string_view zone, int minute_of_day) {
  try {
    FoundZone* found = Zone(zone);
    const date::time_zone* z = found ? found->zone : nullptr;
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
