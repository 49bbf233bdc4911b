#pragma once
// The text forms two field types take in JSON (records/decoder.h), bytes
// as base64 and a duration as Go-style text or whole days, and a JSON
// object's key read as a map key. Shared by the
// two ways a line is decoded (straight into its record, and through a
// JSON document), which must agree on every value.

#include <optional>
#include <string>
#include <string_view>

#include "compiler/eval/value.h"
#include "compiler/types/type.h"

namespace tutti::runtime {

/// The bytes of base64 text in the standard or URL-safe alphabet, padding
/// optional; nullopt when it is not base64.
std::optional<std::string> DecodeBase64(std::string_view text);

/// "7d" (whole days) or Go-style text ("1h30m", "90s"); an error value
/// when it is neither or out of range.
compiler::eval::Value ParseFieldDuration(std::string_view text);

/// Why a JSON object's key could not be a map key.
enum class KeyProblem { kNone, kOutOfRange, kNotOfType };

/// A JSON object's key `text` as a key of type `key` (string, dyn: the
/// text; bool: "true" or "false"; int, uint: the whole number, written
/// without a sign for a uint), into `out`; the problem when it is not one.
KeyProblem MapKeyOf(const compiler::Type& key, const std::string& text, compiler::eval::Value& out);

}  // namespace tutti::runtime
