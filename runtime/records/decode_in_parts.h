#pragma once
// A file decoded by several threads at once: cut into `parts` byte ranges
// at line ends, each range decoded by DecodeFile's own loop on a thread of
// its own, the results joined in order. The result is DecodeFile's, byte
// for byte: the same records in the same order, the same errors, and the
// same line numbers (each part's are moved on by the lines before it).
// Over-long lines are skipped without being held, as DecodeFile skips them.

#include <string>

#include "runtime/records/decoder.h"

namespace tutti::runtime {

/// DecodeFile(table, path, options), on up to `parts` threads; a file
/// under a few megabytes, or `parts` <= 1, is decoded on this one.
DecodedFile DecodeFileInParts(const SchemaTable& table, const std::string& path, const DecodeOptions& options,
                              size_t parts);

}  // namespace tutti::runtime
