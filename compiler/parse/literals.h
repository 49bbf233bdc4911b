#pragma once
// Decoding of literal tokens, per CEL's lexical rules, plus our durations.
// Each function returns an empty error string on success; on failure the
// error says what is wrong and `*error_offset` is the byte offset of the
// problem within the token text.

#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/ast/expr.h"

namespace tutti::compiler::internal {

/// The parts of a string or bytes token: its prefix flags and its body
/// between the quotes (for triple quotes, between the triples).
struct QuotedToken {
  bool raw = false;
  bool bytes = false;
  size_t body_offset = 0;  // of the body within the token text
  std::string_view body;
};
QuotedToken SplitQuoted(std::string_view token);

/// Decodes escapes of a (non-raw) string or bytes body. For strings, \x,
/// \u, \U and octal escapes are code points written as UTF-8; for bytes,
/// \x and octal are single bytes.
std::string DecodeEscapes(std::string_view body, bool bytes, std::string* out,
                          size_t* error_offset);

/// Decodes a whole STRING or BYTES token.
std::string DecodeQuoted(std::string_view token, std::string* out, bool* is_bytes,
                         size_t* error_offset);

/// Decimal or hex magnitude of an INT/UINT token (without the u suffix).
std::string ParseUnsigned(std::string_view token, uint64_t* out);

/// A DURATION token such as `7d` or `1h30m`, in milliseconds.
std::string ParseDuration(std::string_view token, int64_t* millis);

}  // namespace tutti::compiler::internal
