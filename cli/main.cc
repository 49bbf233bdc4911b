// tutti: one binary, one subcommand per job.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace {

constexpr const char* kUsage =
    "usage: tutti <command> [args]\n"
    "\n"
    "commands:\n"
    "  check PATH...     parse and type-check journey files or folders\n"
    "  graph FILE        draw the journeys of a file (DOT or Mermaid)\n"
    "  simulate          run journeys over recorded profiles and events\n"
    "  preview TEMPLATE  render a template for one customer, hole by hole\n"
    "  test [PATH...]    run the journey tests written in Tutti, with coverage\n"
    "  serve             the daemon: journeys on live events over HTTP\n"
    "  fmt PATH...       lay journey files out canonically (--check: only report)\n"
    "  lsp               the language server, for editors (stdio)\n"
    "  explain CODE      what a diagnostic code (T0301) means and how to fix it\n"
    "\n"
    "Run 'tutti <command> --help' for a command's options, 'tutti --version'\n"
    "for the version.\n";

}  // namespace

namespace tutti::cli {

std::string StdlibDir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("TUTTI_STDLIB"); env && *env) return env;
  // Installed: BIN/../share/tutti/stdlib beside the binary.
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    std::filesystem::path installed = self.parent_path().parent_path() / "share" / "tutti" / "stdlib";
    if (std::filesystem::exists(installed / "schemas.tutti", ec)) return installed.string();
  }
  return TUTTI_STDLIB_DIR;
}

std::string DefaultJitCache() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/tutti/jit";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/tutti/jit";
  return "";
}

compiler::jit::JitOptions JitOptionsFor(const std::string& dir) {
  compiler::jit::JitOptions options;
  if (dir.empty() || dir == "none") return options;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "tutti: warning: no JIT cache: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
    return options;
  }
  options.cache_dir = dir;
  return options;
}

std::vector<std::string> SplitOptionValues(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const std::string& a : args) {
    size_t eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      out.push_back(a.substr(0, eq));
      out.push_back(a.substr(eq + 1));
    } else {
      out.push_back(a);
    }
  }
  return out;
}

std::optional<int> ParseOptions(const std::vector<std::string>& raw_args,
                                const std::map<std::string, std::string*>& options, const char* usage,
                                std::vector<std::string>* positional) {
  std::vector<std::string> args = SplitOptionValues(raw_args);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      return 0;
    }
    auto option = options.find(a);
    if (option != options.end()) {
      if (i + 1 >= args.size()) return UsageError(a + " needs a value", usage);
      *option->second = args[++i];
    } else if (a.rfind("--", 0) == 0) {
      return UsageError("unknown option '" + a + "'", usage);
    } else if (positional != nullptr) {
      positional->push_back(a);
    } else {
      return UsageError("unexpected argument '" + a + "'", usage);
    }
  }
  return std::nullopt;
}

int UsageError(const std::string& message, const char* usage) {
  std::fprintf(stderr, "tutti: %s\n%s", message.c_str(), usage);
  return 2;
}

}  // namespace tutti::cli

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return tutti::cli::UsageError("missing command", kUsage);
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "check") return tutti::cli::RunCheck(args);
  if (command == "graph") return tutti::cli::RunGraph(args);
  if (command == "simulate") return tutti::cli::RunSimulate(args);
  if (command == "preview") return tutti::cli::RunPreview(args);
  if (command == "test") return tutti::cli::RunTest(args);
  if (command == "serve") return tutti::cli::RunServe(args);
  if (command == "explain") return tutti::cli::RunExplain(args);
  if (command == "fmt") return tutti::cli::RunFmt(args);
  if (command == "lsp") return tutti::cli::RunLsp(args);
  if (command == "--version" || command == "version") {
    std::printf("tutti %s (%s, %s)\nstdlib: %s\n", TUTTI_VERSION, TUTTI_REVISION, TUTTI_BUILD_TYPE,
                tutti::cli::StdlibDir("").c_str());
    return 0;
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  return tutti::cli::UsageError("unknown command '" + command + "'", kUsage);
}
