#pragma once
// Turns ANTLR's syntax errors into diagnostics in the user's words
// ("expected a duration such as 7d after 'wait'"), never token dumps.

#include <functional>
#include <string>

#include <BaseErrorListener.h>

#include "compiler/source/diagnostic.h"

namespace tutti::compiler::internal {

/// Maps a token to its byte range in the source.
using TokenRangeFn = std::function<SourceRange(antlr4::Token*)>;

/// Thrown (and caught inside the parse pass) when a file has produced
/// `max_errors` syntax errors, to stop early.
struct TooManySyntaxErrors {};

class SyntaxErrorListener : public antlr4::BaseErrorListener {
 public:
  SyntaxErrorListener(const Source& source, DiagnosticSink& sink, TokenRangeFn range,
                      size_t max_errors)
      : source_(source), sink_(sink), range_(std::move(range)), max_errors_(max_errors) {}

  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending,
                   size_t line, size_t column, const std::string& message,
                   std::exception_ptr e) override;

  size_t error_count() const { return errors_; }

 private:
  const Source& source_;
  DiagnosticSink& sink_;
  TokenRangeFn range_;
  size_t max_errors_;
  size_t errors_ = 0;
  int64_t last_offset_ = -1;
  int64_t last_line_ = -1;
};


}  // namespace tutti::compiler::internal
