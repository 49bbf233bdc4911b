#pragma once
// A file decoded by several threads at once: cut into `parts` byte ranges
// at line ends, each range decoded by DecodeFile's own loop on a thread of
// its own, the results joined in order. The result is DecodeFile's, byte
// for byte: the same records in the same order, the same errors, and the
// same line numbers (each part's are moved on by the lines before it).
// Over-long lines are skipped without being held, as DecodeFile skips them.
// Every part reads the one file opened (a file renamed over it meanwhile
// is not read); a file cut short while it is read is a failed read.

#include <cstdint>
#include <string>

#include "runtime/records/decoder.h"

namespace tutti::runtime {

/// Below this many bytes a file is decoded on one thread: starting
/// threads would cost more than they save.
inline constexpr uint64_t kSmallestFileInParts = 4 << 20;

/// DecodeFile(table, path, options), on up to `parts` threads, each part
/// at least `smallest` / 2 bytes; a file under `smallest` bytes, anything
/// but a regular file (a pipe, a device: read as it comes), or `parts` <= 1
/// is decoded on this one. (The tests and the fuzzer cut small files.)
DecodedFile DecodeFileInParts(const SchemaTable& table, const std::string& path, const DecodeOptions& options,
                              size_t parts, uint64_t smallest = kSmallestFileInParts);

}  // namespace tutti::runtime
