#pragma once
// The parse pass: source text -> AST. Only this folder sees ANTLR.

#include <memory>

#include "compiler/ast/decl.h"
#include "compiler/source/diagnostic.h"

namespace tutti::compiler {

/// Limits that keep hostile input within bounded time, memory and stack.
struct ParseLimits {
  size_t max_file_bytes = 8u << 20;     // larger files are refused
  size_t max_tokens = 1'000'000;        // more tokens are refused
  size_t max_rule_depth = 1500;         // parser recursion
  size_t max_expr_depth = 1000;         // AST nesting (about 6 per bracket)
  size_t max_syntax_errors = 50;        // per file; then parsing stops
};

/// Parses one file. Never throws and never aborts on bad input: every
/// problem is a located diagnostic in `sink`. Returns the AST; after syntax
/// errors it is `partial` (the declarations that parsed cleanly, so the
/// checker goes on with them), and null only when the file could not be
/// read at all (too large, not UTF-8, too deep, too many errors).
std::unique_ptr<ast::File> ParseFile(const Source& source, DiagnosticSink& sink,
                                     const ParseLimits& limits = {});

/// Parses a content file (a template's subject or body kept beside the
/// journeys): its whole text is a message, literal text with `{...}` holes
/// (`{{` and `}}` are literal braces; backslashes are literal). Problems
/// are diagnostics; the holes that parsed are kept.
ast::Message ParseContent(const Source& source, DiagnosticSink& sink, const ParseLimits& limits = {});

/// Parses `source` as one expression (the CEL conformance runner and tests
/// use this). Returns null after reporting syntax errors.
ast::ExprPtr ParseExpression(const Source& source, DiagnosticSink& sink,
                             const ParseLimits& limits = {});

}  // namespace tutti::compiler
