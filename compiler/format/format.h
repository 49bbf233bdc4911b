#pragma once
// `tutti fmt`: one canonical layout for Tutti files.
//
// The layout keeps what the author chose to say and every line break (so a
// formatted line keeps its number, and a step its id such as `wait@31`),
// and decides the rest: two spaces per level of braces, brackets and
// parentheses, a block indented from the line of the keyword introducing
// it; continuation lines (a statement's second and later lines) one more
// level per statement they continue; one space between words and around
// binary operators, none inside brackets and before ',' ';' ':'; comments
// kept where they were (own-line comments at the indent of what follows
// them); no trailing spaces; one newline at the end. Formatting is
// idempotent, and never changes a token: the result is re-parsed and
// compared before it is returned, and a mismatch (a formatter bug) is an
// error for that file, which is then left as it is.

#include <optional>
#include <string>

#include "compiler/source/diagnostic.h"

namespace tutti::compiler {

/// The canonical text of `source`, or nullopt after reporting its syntax
/// errors in `sink` (a file that does not parse is left as it is).
std::optional<std::string> Format(const Source& source, DiagnosticSink& sink);

}  // namespace tutti::compiler
