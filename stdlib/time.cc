// Timestamp and duration accessors. Every timestamp accessor takes an
// optional IANA time zone name ("America/New_York") and defaults to UTC.

#include <string>

#include "stdlib/stdlib.h"

namespace tutti::stdlib {

void RegisterTimeFunctions(BuiltinRegistry& r) {
  const char* f = "time";
  const std::pair<const char*, const char*> kTimestamp[] = {
      {"getFullYear", "The year, e.g. 2026."},
      {"getMonth", "The month, 0 for January to 11."},
      {"getDate", "The day of the month, 1 to 31."},
      {"getDayOfMonth", "The day of the month, 0 to 30."},
      {"getDayOfWeek", "The day of the week, 0 for Sunday to 6."},
      {"getDayOfYear", "The day of the year, 0 to 365."},
      {"getHours", "The hour, 0 to 23."},
      {"getMinutes", "The minute, 0 to 59."},
      {"getSeconds", "The second, 0 to 59."},
      {"getMilliseconds", "The millisecond, 0 to 999."},
  };
  for (const auto& [name, doc] : kTimestamp) {
    Declare(r, f, ("timestamp." + std::string(name) + "() -> int").c_str(), doc);
    Declare(r, f, ("timestamp." + std::string(name) + "(string) -> int").c_str(),
            (std::string(doc) + " In the given time zone.").c_str());
  }
  const std::pair<const char*, const char*> kDuration[] = {
      {"getHours", "The whole hours in the duration."},
      {"getMinutes", "The whole minutes in the duration."},
      {"getSeconds", "The whole seconds in the duration."},
      {"getMilliseconds", "The milliseconds part of the duration, 0 to 999."},
  };
  for (const auto& [name, doc] : kDuration)
    Declare(r, f, ("duration." + std::string(name) + "() -> int").c_str(), doc);
}

}  // namespace tutti::stdlib
