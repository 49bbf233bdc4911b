#pragma once
// A Program is the set of files the checker sees: the files named on the
// command line (folders are searched for *.tutti recursively) and
// everything they import. Each file is parsed once, however often it is
// imported.
//
// Imports: `import "std/NAME"` names stdlib/NAME.tutti; any other path is
// relative to the importing file. The `.tutti` extension may be left out.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compiler/ast/decl.h"
#include "compiler/source/diagnostic.h"

namespace tutti::compiler {

struct ProgramFile {
  std::unique_ptr<Source> source;
  std::unique_ptr<ast::File> ast;  // null when it could not be read; partial after syntax errors
  std::vector<ProgramFile*> imports;  // resolved, in order; unresolved ones skipped
  bool root = false;  // named on the command line (not only imported)
  /// The content files its templates name (`body file "x.html"`), read
  /// and parsed once each; the templates' messages point into them.
  std::vector<std::unique_ptr<Source>> content;
};

struct Program {
  /// In a deterministic order: by canonical path.
  std::vector<std::unique_ptr<ProgramFile>> files;
  std::string stdlib_dir;
};

/// The `.tutti` files below `folder`, recursively, sorted (unreadable
/// subfolders are skipped).
std::vector<std::string> TuttiFilesIn(const std::string& folder);

/// Whether `path` names a content file (.txt, .html, .htm) rather than a
/// journey file: `LoadProgramFromText` keeps such files for templates to
/// read and does not parse them as journeys.
bool IsContentFile(const std::string& path);

/// Reads and parses `paths` and their imports. Missing files, unreadable
/// files, missing imports and import cycles are reported in `sink`.
Program LoadProgram(const std::vector<std::string>& paths, const std::string& stdlib_dir,
                    DiagnosticSink& sink);

/// Builds a program from in-memory sources (tests, fuzzing, an editor's
/// document); imports resolve first among `files` and `overlay` (files an
/// editor has open, by path: read, but not roots), then on disk, and
/// "std/..." against `stdlib_dir` when set.
Program LoadProgramFromText(const std::vector<std::pair<std::string, std::string>>& files,
                            const std::string& stdlib_dir, DiagnosticSink& sink,
                            const std::map<std::string, std::string>& overlay = {});

}  // namespace tutti::compiler
