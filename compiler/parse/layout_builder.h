#pragma once
// Internal to the parse pass: collects LayoutTokens from a parse tree
// without syntax errors.

#include <vector>

#include "TuttiParser.h"
#include "compiler/parse/layout.h"
#include "compiler/parse/syntax_errors.h"

namespace tutti::compiler::internal {

std::vector<LayoutToken> BuildLayout(tutti_grammar::TuttiParser::ProgramContext* tree, const TokenRangeFn& range);

}  // namespace tutti::compiler::internal
