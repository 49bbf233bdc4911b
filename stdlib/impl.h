#pragma once
// The standard library's native implementations, keyed by the overload ids
// that stdlib/{core,strings,time,engagement}.cc declare. One registration function per
// family (one *_impl.cc file each); RegisterStandardImplementations
// registers them all. The interpreter and the JIT both call through this
// table.

#include <string>
#include <vector>

#include "compiler/eval/functions.h"

namespace tutti::stdlib {

using compiler::eval::FunctionTable;

/// size and the type conversions (int, uint, double, string, bytes, bool,
/// timestamp, duration, dyn, type).
void RegisterCoreImplementations(FunctionTable& table);
/// contains, startsWith, endsWith, matches (RE2), lowerAscii, ... .
void RegisterStringImplementations(FunctionTable& table);
/// Timestamp accessors in UTC, a fixed offset or an IANA time zone, and
/// duration accessors.
void RegisterTimeImplementations(FunctionTable& table);

/// engagement, interactions, days_since_last_contact: read the customer's
/// history through the engine's HistoryView (stdlib/history_view.h).
void RegisterEngagementImplementations(FunctionTable& table);
/// The options engagement() has signals for ("email", "rep_visit", ...).
std::vector<std::string> EngagementOptions();

/// Every family above.
void RegisterStandardImplementations(FunctionTable& table);

}  // namespace tutti::stdlib
