#pragma once
// JSON from outside (a record, a request body, a config file), parsed with
// limits: bounded before it is parsed, and refused with the byte where it
// goes wrong when it holds what nlohmann would take silently or could not
// take safely:
//   - more bytes than the limit, or nesting deeper than the limit (the
//     parser, the destructor and the printer of a value recurse);
//   - a NUL byte (nlohmann stops reading at one, and would take what comes
//     before it as the whole input);
//   - a key twice in one object (nlohmann keeps the last);
//   - anything after the value but whitespace.
// Strings are valid UTF-8 once parsed (nlohmann checks), so a value taken
// can be printed (dump()) safely.

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace tutti::runtime {

struct JsonLimits {
  size_t max_bytes = 1 << 20;
  size_t max_depth = 64;
};

/// Where and why a JSON input was refused.
struct JsonError {
  size_t column = 0;    // 1-based byte offset of the trouble; 0 when not known
  std::string message;  // printable, without personal data from the input
};

/// The value of `text`, or why not (`error`, when given, gets the column).
/// The messages quote no part of the input but keys, made printable.
Result<nlohmann::json> ParseJsonInput(std::string_view text, const JsonLimits& limits = {},
                                      JsonError* error = nullptr);

/// The byte offset (1-based) at which `text` nests deeper than
/// `max_depth` arrays and objects, or 0 when it does not; strings are
/// skipped as JSON reads them.
size_t DeeperThan(std::string_view text, size_t max_depth);

}  // namespace tutti::runtime
