#pragma once
// The standard library's native built-ins, one registration function per
// family (one .cc file each). RegisterStandardLibrary registers them all.

#include "compiler/builtins/registry.h"

namespace tutti::stdlib {

using compiler::BuiltinRegistry;

/// size, type conversions (int, uint, double, string, bytes, bool, dyn,
/// type, timestamp, duration).
void RegisterCoreFunctions(BuiltinRegistry& registry);
/// contains, startsWith, endsWith, matches, lowerAscii, ... on strings.
void RegisterStringFunctions(BuiltinRegistry& registry);
/// Timestamp and duration accessors, with optional time zone.
void RegisterTimeFunctions(BuiltinRegistry& registry);
/// Engagement scores and interaction counts read from a customer's history.
void RegisterEngagementFunctions(BuiltinRegistry& registry);

/// Every family above.
void RegisterStandardLibrary(BuiltinRegistry& registry);

/// Registers one overload; a malformed signature is a bug in the stdlib and
/// aborts with the reason.
void Declare(BuiltinRegistry& registry, const char* family, const char* signature,
             const char* doc);

}  // namespace tutti::stdlib
