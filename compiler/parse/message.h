#pragma once
// Message strings: literal text with `{expr}` holes, in a step's text, a
// template's subject or body, or a content file. `{{` and `}}` stand for
// literal braces.

#include <functional>
#include <string>
#include <string_view>

#include "compiler/ast/step.h"
#include "compiler/source/codes.h"

namespace tutti::compiler::internal {

using MessageErrorFn = std::function<void(Code, SourceRange, std::string)>;
/// Parses the text of a hole that starts at byte `offset` of the source;
/// null after reporting an error.
using HoleParserFn = std::function<ast::ExprPtr(uint32_t offset, std::string_view text)>;

/// Splits `body`, which starts at byte `body_start` of its source, into
/// literal parts and holes. `raw`: backslashes are literal text (raw
/// strings, content files); otherwise CEL escapes are decoded. Problems go
/// to `error` located in the source.
ast::Message ScanMessage(std::string_view body, uint32_t body_start, bool raw, const MessageErrorFn& error,
                         const HoleParserFn& parse_hole);

}  // namespace tutti::compiler::internal
