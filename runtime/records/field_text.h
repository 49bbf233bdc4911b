#pragma once
// The text forms two field types take in JSON (records/decoder.h): bytes
// as base64, and a duration as Go-style text or whole days. Shared by the
// two ways a line is decoded (straight into its record, and through a
// JSON document), which must agree on every value.

#include <optional>
#include <string>
#include <string_view>

#include "compiler/eval/value.h"

namespace tutti::runtime {

/// The bytes of base64 text in the standard or URL-safe alphabet, padding
/// optional; nullopt when it is not base64.
std::optional<std::string> DecodeBase64(std::string_view text);

/// "7d" (whole days) or Go-style text ("1h30m", "90s"); an error value
/// when it is neither or out of range.
compiler::eval::Value ParseFieldDuration(std::string_view text);

}  // namespace tutti::runtime
