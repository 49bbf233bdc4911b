#pragma once
// The declarations one file can see: its own and those of every file it
// imports, directly or through other imports. Each kind of declaration
// (event, profile, channel, policy, journey) has its own namespace.

#include <map>
#include <string>
#include <vector>

#include "compiler/check/program.h"

namespace tutti::compiler::internal {

template <typename Decl>
struct Declared {
  const Decl* decl = nullptr;
  const ProgramFile* file = nullptr;
};

struct Symbols {
  std::map<std::string, Declared<ast::EventDecl>> events;
  std::map<std::string, Declared<ast::ProfileDecl>> profiles;
  std::map<std::string, Declared<ast::ChannelDecl>> channels;
  std::map<std::string, Declared<ast::PolicyDecl>> policies;
  std::map<std::string, Declared<ast::TemplateDecl>> templates;  // by id
  std::map<std::string, Declared<ast::JourneyDecl>> journeys;
  /// Files whose declarations are visible, the file itself first.
  std::vector<const ProgramFile*> visible;

  template <typename Decl>
  static std::vector<std::string> Names(const std::map<std::string, Declared<Decl>>& table) {
    std::vector<std::string> out;
    for (const auto& [name, d] : table) out.push_back(name);
    return out;
  }
};

/// Collects what `file` sees. Two visible declarations of one name in one
/// namespace are reported (once, at the later one) in `sink`.
Symbols CollectSymbols(const ProgramFile& file, DiagnosticSink& sink);

/// For an unknown `kind` (event, profile, channel, journey) named `name`:
/// if a loaded file that `from` does not import, or a standard library
/// file, declares it, the hint "'x' is declared in F; add: import "P"";
/// otherwise "".
std::string ImportHint(const Program& program, const Symbols& symbols, const ProgramFile& from,
                       const std::string& kind, const std::string& name);

}  // namespace tutti::compiler::internal
