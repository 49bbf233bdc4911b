// tutti graph FILE [--journey NAME] [--format dot|mermaid]

#include <cstdio>

#include "cli/commands.h"
#include "compiler/check/check.h"
#include "compiler/graph/graph.h"
#include "stdlib/stdlib.h"

namespace tutti::cli {
namespace {

constexpr const char* kGraphUsage =
    "usage: tutti graph FILE [--journey NAME] [--format dot|mermaid] [--stdlib DIR]\n"
    "  Draws each journey of FILE (or just NAME): trigger, audience, steps,\n"
    "  branches with their conditions, waits with their timeout edges, exits.\n"
    "  The file must check without errors. DOT renders with `dot -Tsvg`.\n";

}  // namespace

int RunGraph(const std::vector<std::string>& raw_args) {
  std::string format = "dot", journey, stdlib_flag, path;
  std::vector<std::string> paths;
  if (auto stop = ParseOptions(raw_args, {{"--format", &format}, {"--journey", &journey}, {"--stdlib", &stdlib_flag}},
                               kGraphUsage, &paths))
    return *stop;
  if (paths.size() > 1) return UsageError("graph draws one file at a time", kGraphUsage);
  if (!paths.empty()) path = paths[0];
  if (path.empty()) return UsageError("missing FILE", kGraphUsage);
  compiler::GraphFormat graph_format;
  if (format == "dot") graph_format = compiler::GraphFormat::kDot;
  else if (format == "mermaid") graph_format = compiler::GraphFormat::kMermaid;
  else return UsageError("--format must be dot or mermaid, not '" + format + "'", kGraphUsage);

  compiler::BuiltinRegistry builtins;
  stdlib::RegisterStandardLibrary(builtins);
  compiler::DiagnosticSink sink;
  compiler::Program program = compiler::LoadProgram({path}, StdlibDir(stdlib_flag), sink);
  compiler::Check(program, builtins, sink);
  if (sink.has_errors()) {
    std::fputs(compiler::RenderText(sink.Sorted()).c_str(), stderr);
    return 1;
  }
  const compiler::ast::File* file = nullptr;
  for (const auto& f : program.files)
    if (f->root) file = f->ast.get();
  if (file == nullptr || file->journeys.empty()) {
    std::fprintf(stderr, "tutti: %s declares no journeys to draw\n", path.c_str());
    return 1;
  }
  if (!journey.empty()) {
    bool found = false;
    for (const auto& j : file->journeys) found |= j.name.text == journey;
    if (!found) {
      std::fprintf(stderr, "tutti: %s has no journey '%s'\n", path.c_str(), journey.c_str());
      return 1;
    }
  }
  std::fputs(compiler::RenderGraph(*file, journey, graph_format).c_str(), stdout);
  return 0;
}

}  // namespace tutti::cli
