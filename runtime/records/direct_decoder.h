#pragma once
// A line read straight into its record: the JSON text is walked once and
// each field's value built in its slot, with no JSON document in between
// (records/decoder.h's document path parses the line into a tree of
// nodes, then copies every field out of it: twice the allocations, and
// most of a decode's time).
//
// It takes only what it can take exactly as the document path would, and
// gives up on everything else: a line it returns a record for decodes, by
// way of a document, to the same record, value for value and kind for
// kind (an int stays an int, map entries come in the document's order);
// for any other line (malformed JSON, a field of the wrong type, a key
// twice, a number it would have to round, nesting past the limit, a byte
// order mark) it returns nothing, and DecodeLine asks the document path,
// which words the refusal. The differential test and the decoder's fuzzer
// hold the two paths to this.

#include <cstddef>
#include <optional>
#include <string_view>

#include "runtime/records/decoder.h"
#include "runtime/records/schema_table.h"

namespace tutti::runtime {

/// `line` (no newline, no trailing '\r', not blank) as a record, or
/// nothing when only the document path can say what it is.
std::optional<Record> DecodeDirectly(const SchemaTable& table, std::string_view line, size_t line_number,
                                     const DecodeOptions& options);

}  // namespace tutti::runtime
