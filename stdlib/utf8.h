#pragma once
// Small UTF-8 helpers for the string built-ins (code-point counting and
// indexing, validation).

#include <cstddef>
#include <string_view>
#include <vector>

namespace tutti::stdlib::internal {

/// Whether `s` is well-formed UTF-8 (no overlongs, surrogates or values
/// past U+10FFFF).
bool IsValidUtf8(std::string_view s);
/// The byte offset where each code point starts, plus s.size() at the end.
std::vector<size_t> CodePointOffsets(std::string_view s);
/// The number of code points (bytes that are not continuation bytes).
size_t CodePointCount(std::string_view s);

}  // namespace tutti::stdlib::internal
