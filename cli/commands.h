#pragma once
// The `tutti` subcommands. Each takes its arguments (after the subcommand
// name) and returns the process exit code: 0 success, 1 the input has
// errors, 2 usage errors.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/jit/jit.h"

namespace tutti::cli {

int RunCheck(const std::vector<std::string>& args);
int RunGraph(const std::vector<std::string>& args);
int RunSimulate(const std::vector<std::string>& args);
int RunServe(const std::vector<std::string>& args);
int RunExplain(const std::vector<std::string>& args);
int RunFmt(const std::vector<std::string>& args);
int RunLsp(const std::vector<std::string>& args);
int RunPreview(const std::vector<std::string>& args);
int RunTest(const std::vector<std::string>& args);

/// `tutti simulate --serve`: the same dry run, through a daemon on a
/// virtual clock in a temporary data folder, then served (API and console)
/// on `listen` until SIGINT or SIGTERM. `until`: RFC 3339, where the clock
/// is moved to after the events. `jit_cache` empty: none.
struct SimulationToServe {
  std::string journeys, stdlib_dir, profiles, events, until, listen, jit_cache;
  bool jit = true;
};
int ServeSimulation(const SimulationToServe& simulation);

/// Where `import "std/..."` resolves: --stdlib DIR, else $TUTTI_STDLIB,
/// else share/tutti/stdlib beside an installed binary (BIN/../share),
/// else the stdlib/ folder of the source tree the binary was built from.
std::string StdlibDir(const std::string& flag);

/// The default folder of the JIT's object cache: $XDG_CACHE_HOME/tutti/jit,
/// else ~/.cache/tutti/jit, else none ("").
std::string DefaultJitCache();
/// JIT options caching in `dir` ("none" or "": no cache), creating it when
/// missing (a folder that cannot be made means no cache, with a warning).
compiler::jit::JitOptions JitOptionsFor(const std::string& dir);

/// The arguments with every `--option=value` split into `--option value`.
std::vector<std::string> SplitOptionValues(const std::vector<std::string>& args);

/// Reads `args` (`--option value` or `--option=value`, and `--help`):
/// each option named in `options` stores its value there; other arguments
/// go to `positional`, or are an error when it is null. Returns the exit
/// code when the command should stop now (0 after printing `usage` for
/// --help, 2 after a usage error), nullopt to go on.
std::optional<int> ParseOptions(const std::vector<std::string>& args,
                                const std::map<std::string, std::string*>& options, const char* usage,
                                std::vector<std::string>* positional);

/// Prints "tutti: MESSAGE" and a usage hint to stderr; returns 2.
int UsageError(const std::string& message, const char* usage);

}  // namespace tutti::cli
