#pragma once
// Mistakes in a user's program are data: each is a Diagnostic with a
// severity, a stable code (codes.def), a source range, a message in the
// user's words and optional notes pointing elsewhere (e.g. "declared here"). Passes report into a
// DiagnosticSink and carry on, so one run reports every problem.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "compiler/source/codes.h"
#include "compiler/source/source.h"

namespace tutti::compiler {

enum class Severity { kError, kWarning, kNote };

/// A place in a file; `source` may be null for problems with no file (a
/// path given on the command line that does not exist). The Source must
/// outlive every diagnostic that points into it: keep the Program (or the
/// Source) alive as long as the sink is read.
struct Location {
  const Source* source = nullptr;
  SourceRange range;
};

struct Note {
  Location location;
  std::string message;
};

/// An edit that would resolve the diagnostic: replace `range` (in the
/// diagnostic's source) with `text`. Editors offer it as a quick fix.
struct Fix {
  std::string title;  // "Replace with '=='"
  SourceRange range;
  std::string text;
};

struct Diagnostic {
  Severity severity = Severity::kError;
  Code code = Code::kSyntax;
  Location location;
  std::string message;
  std::vector<Note> notes;
  std::vector<Fix> fixes;
  /// For diagnostics with no source: the path they concern.
  std::string path;
};

/// Collects diagnostics. Reporting the same severity, range and message
/// twice keeps one copy, so passes need not coordinate.
class DiagnosticSink {
 public:
  Diagnostic& Error(Code code, Location at, std::string message);
  Diagnostic& Warning(Code code, Location at, std::string message);
  Diagnostic& Report(Diagnostic d);

  /// A mark for ErrorsSince: the number of reports so far.
  size_t mark() const { return diagnostics_.size(); }
  /// Whether an error was reported after `mark`.
  bool ErrorsSince(size_t mark) const;

  size_t error_count() const;
  size_t warning_count() const;
  bool has_errors() const { return error_count() > 0; }

  /// Every diagnostic, sorted by path, offset, severity, then message.
  std::vector<Diagnostic> Sorted() const;

  /// Keeps `owner` (what owns the sources diagnostics point into) alive as
  /// long as the sink, for a caller that drops it before rendering.
  void KeepAlive(std::shared_ptr<const void> owner) { owners_.push_back(std::move(owner)); }

 private:
  std::vector<Diagnostic> diagnostics_;
  std::vector<std::shared_ptr<const void>> owners_;
};

/// Renders diagnostics for a terminal:
///   path:line:col: error: message [T0406]
///      12 |   wait 0d
///         |        ^~
///   path:line:col: note: declared here
std::string RenderText(const std::vector<Diagnostic>& diagnostics);

/// Renders diagnostics as one JSON document for editors and CI:
/// {"diagnostics":[{"path","severity","code","message","range":{"start":{line,
/// column,offset,character},"end":{...}},"notes":[...],"fixes":[{"title",
/// "range","text"}]}], "errors":N, "warnings":N}. `column` counts bytes
/// from 1; `character` counts UTF-16 code units from 0, as the Language
/// Server Protocol does.
std::string RenderJson(const std::vector<Diagnostic>& diagnostics);

}  // namespace tutti::compiler
