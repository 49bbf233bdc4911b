#pragma once
// What the formatter needs to know about a file's tokens, from its parse
// tree: where each token is, how it is spaced from its neighbours, and which
// statements enclose it. The parse tree stays in this folder (the only user
// of ANTLR); compiler/format/ lays the file out from this.

#include <optional>
#include <vector>

#include "compiler/parse/parse.h"

namespace tutti::compiler {

/// How a token sits among its neighbours on a line.
enum class Spacing {
  kWord,        // names, keywords, literals: one space from other words
  kBinary,      // '==', '->', '=', '+', a ternary's '?' and ':': one space each side
  kPrefix,      // unary '-' and '!', a leading '.': nothing after
  kTight,       // member '.', the ':' of 08:30, '<' of list<T>: nothing either side
  kPostfix,     // ',', ';', the ':' of 'name: type', '?' of 'string?', '%': nothing before
  kCallOpen,    // '(' of a call, '[' of an index: nothing either side
  kOpen,        // '(' of a group, '[' of a list: nothing after
  kClose,       // ')' and ']': nothing before
  kBraceOpen,   // '{': one space each side unless '}' follows
  kBraceClose,  // '}'
};

struct LayoutToken {
  SourceRange range;
  Spacing spacing = Spacing::kWord;
  /// Where the statements enclosing this token begin (byte offsets, distinct,
  /// outermost first): declarations, fields, clauses, journey items, steps,
  /// arms, 'with' and map entries. A line that starts inside a statement
  /// begun on an earlier line is a continuation and is indented one more
  /// level per such statement.
  std::vector<uint32_t> statements;
  /// For a block's '{': the index of the token whose line the block is
  /// indented from (the keyword that introduces it: `timeout`, `if`, `by`
  /// of `choose best by`, `with`), or -1.
  int anchor = -1;
};

/// The tokens of `source` in order, or nullopt after reporting its syntax
/// errors in `sink` (a file that does not parse is not laid out).
std::optional<std::vector<LayoutToken>> ParseLayout(const Source& source, DiagnosticSink& sink,
                                                    const ParseLimits& limits = {});

}  // namespace tutti::compiler
