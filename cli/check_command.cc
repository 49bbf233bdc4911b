// tutti check [--format text|json] [--stdlib DIR] PATH...

#include <cstdio>

#include "cli/commands.h"
#include "compiler/check/check.h"
#include "stdlib/stdlib.h"

namespace tutti::cli {
namespace {

constexpr const char* kCheckUsage =
    "usage: tutti check [--format text|json] [--stdlib DIR] PATH...\n"
    "  Checks .tutti files (folders are searched recursively) and everything\n"
    "  they import. Prints every problem as path:line:col: error|warning: ...\n"
    "  Exit status: 0 no errors (warnings allowed), 1 errors, 2 usage error.\n";

}  // namespace

int RunCheck(const std::vector<std::string>& raw_args) {
  std::string format = "text", stdlib_flag;
  std::vector<std::string> paths;
  if (auto stop = ParseOptions(raw_args, {{"--format", &format}, {"--stdlib", &stdlib_flag}}, kCheckUsage, &paths))
    return *stop;
  if (format != "text" && format != "json")
    return UsageError("--format must be text or json, not '" + format + "'", kCheckUsage);
  if (paths.empty()) return UsageError("no files or folders to check", kCheckUsage);

  compiler::BuiltinRegistry builtins;
  stdlib::RegisterStandardLibrary(builtins);
  compiler::DiagnosticSink sink;
  compiler::Program program = compiler::LoadProgram(paths, StdlibDir(stdlib_flag), sink);
  compiler::CheckResult result = compiler::Check(program, builtins, sink);
  auto diagnostics = sink.Sorted();
  size_t errors = 0, warnings = 0;
  for (const auto& d : diagnostics) {
    errors += d.severity == compiler::Severity::kError;
    warnings += d.severity == compiler::Severity::kWarning;
  }
  if (format == "json") {
    std::fputs(compiler::RenderJson(diagnostics).c_str(), stdout);
  } else {
    std::fputs(compiler::RenderText(diagnostics).c_str(), stdout);
    std::fflush(stdout);
    std::fprintf(stderr, "checked %zu file%s, %zu journey%s: %zu error%s, %zu warning%s\n",
                 program.files.size(), program.files.size() == 1 ? "" : "s",
                 result.journeys_checked, result.journeys_checked == 1 ? "" : "s", errors,
                 errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
  }
  return errors > 0 ? 1 : 0;
}

}  // namespace tutti::cli
