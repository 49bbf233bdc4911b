#pragma once
// One check of an editor's document, and the questions an editor asks of
// it: diagnostics, where a name is declared, what is under the cursor,
// what may be typed here, which declarations the file holds.
//
// The document is checked as `tutti check` would check it alone, with the
// files it imports: those the editor has open as the editor has them, the
// others from disk. The Analysis owns the program its answers point into.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/builtins/registry.h"
#include "compiler/check/check.h"

namespace tutti::lsp {

/// An LSP position: 0-based line, UTF-16 code units into the line.
struct Position {
  uint32_t line = 0;
  uint32_t character = 0;
};

/// The byte offset of `p` in `source`, clamped to the line and the text.
uint32_t OffsetAt(const compiler::Source& source, Position p);
Position PositionAt(const compiler::Source& source, uint32_t offset);

struct Place {
  const compiler::Source* source = nullptr;
  compiler::SourceRange range;
};

struct Completion {
  std::string label;
  enum Kind { kKeyword, kField, kFunction, kEvent, kProfile, kChannel, kJourney, kVariable, kPolicy, kTemplate } kind;
  std::string detail;         // a type or a signature
  std::string documentation;  // a field's doc string, a built-in's doc
};

struct Symbol {
  std::string name;
  enum Kind { kEvent, kProfile, kField, kChannel, kPolicy, kJourney, kStep, kTemplate } kind;
  std::string detail;
  compiler::SourceRange range, selection;
  std::vector<Symbol> children;
};

class Analysis {
 public:
  /// Checks `text` as the file at `path`; `open` holds the editor's other
  /// documents by path.
  static std::unique_ptr<Analysis> Run(const std::string& path, const std::string& text,
                                       const std::map<std::string, std::string>& open, const std::string& stdlib_dir,
                                       const compiler::BuiltinRegistry& builtins);

  const compiler::Source& source() const { return *document_->source; }
  /// The document's diagnostics (not those of the files it imports).
  const std::vector<compiler::Diagnostic>& diagnostics() const { return diagnostics_; }
  /// Whether the check read the file at `path` (the document imports it).
  bool Reads(const std::string& path) const;
  /// Whether the document had syntax errors, so some of it was left out.
  bool partial() const { return document_->ast == nullptr || document_->ast->partial; }

  std::optional<Place> Definition(uint32_t offset) const;
  /// Markdown for the thing at `offset`, or nullopt.
  std::optional<std::string> Hover(uint32_t offset) const;
  /// What may be typed at `offset` of `text` (the document as the editor
  /// has it now, which may be newer than this analysis).
  std::vector<Completion> Complete(const std::string& text, uint32_t offset) const;
  std::vector<Symbol> Symbols() const;

 private:
  Analysis(const compiler::BuiltinRegistry& builtins) : builtins_(builtins) {}

  const compiler::ast::EventDecl* FindEvent(const std::string& name) const;
  const compiler::ast::ProfileDecl* FindProfile(const std::string& name) const;
  /// The template a send at `offset` names (the cursor on its id), if any.
  const compiler::ast::TemplateDecl* TemplateAt(uint32_t offset) const;
  const compiler::ast::TemplateDecl* FindTemplate(const std::string& id, const compiler::ProgramFile** file = nullptr) const;
  const compiler::ast::FieldDecl* FindField(const compiler::Type& record, const std::string& field) const;
  /// The innermost checked expression at `offset` in the document.
  const compiler::ast::Expr* ExprAt(uint32_t offset) const;
  /// What `name` holds at `offset`: a profile, or the nearest binding
  /// before it in the journey around it.
  std::optional<compiler::Type> TypeOfName(const std::string& name, uint32_t offset) const;

  const compiler::BuiltinRegistry& builtins_;
  compiler::Program program_;
  compiler::CheckResult result_;
  const compiler::ProgramFile* document_ = nullptr;
  std::vector<compiler::Diagnostic> diagnostics_;
};

}  // namespace tutti::lsp
