// tutti lsp [--stdlib DIR]

#include <iostream>

#include "cli/commands.h"
#include "lsp/server.h"

namespace tutti::cli {
namespace {

constexpr const char* kLspUsage =
    "usage: tutti lsp [--stdlib DIR]\n"
    "  A Language Server Protocol server on stdin/stdout, for editors (see\n"
    "  editors/vscode/): diagnostics with their codes and quick fixes as you\n"
    "  type, hover, go to definition, completion, document symbols and\n"
    "  formatting. It is started by the editor, not by hand.\n";

}  // namespace

int RunLsp(const std::vector<std::string>& raw_args) {
  std::string stdlib_flag;
  if (auto stop = ParseOptions(raw_args, {{"--stdlib", &stdlib_flag}}, kLspUsage, nullptr)) return *stop;
  std::ios::sync_with_stdio(false);
  return lsp::RunStdio(std::cin, std::cout, StdlibDir(stdlib_flag));
}

}  // namespace tutti::cli
