#pragma once
// The check pass: resolves every name and types every expression of a
// loaded Program against its schemas and the built-in registry, and
// enforces the rules a user would otherwise learn in production (see
// docs/language.md, "What the checker enforces").
//
// Must be called after LoadProgram. Files that did not parse, and files
// that import them, are not checked (their syntax errors already stand).

#include <map>

#include "compiler/builtins/registry.h"
#include "compiler/check/program.h"
#include "compiler/types/type.h"

namespace tutti::compiler {

/// What the checker learned, for later passes: the type of every checked
/// expression, and which expressions each file holds (for an editor).
struct CheckResult {
  std::map<const ast::Expr*, Type> types;
  std::map<const Source*, std::vector<const ast::Expr*>> exprs;
  size_t files_checked = 0;
  size_t journeys_checked = 0;
};

CheckResult Check(const Program& program, const BuiltinRegistry& builtins, DiagnosticSink& sink);

}  // namespace tutti::compiler
