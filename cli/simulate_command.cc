// tutti simulate --journeys DIR --profiles FILE --events FILE [--until TIME]
//                [--engine interp|jit] [--stdlib DIR] [--serve HOST:PORT]

#include <algorithm>
#include <cstdio>
#include <thread>
#include <optional>

#include "cli/commands.h"
#include "runtime/daemon/config.h"
#include "runtime/engine/journey_set.h"
#include "runtime/records/decode_in_parts.h"
#include "runtime/records/decoder.h"
#include "runtime/simulate/decision_writer.h"
#include "runtime/simulate/simulation.h"

namespace tutti::cli {
namespace {

constexpr const char* kSimulateUsage =
    "usage: tutti simulate --journeys DIR --profiles FILE --events FILE\n"
    "                      [--until TIME] [--engine jit|interp] [--jit-cache DIR|none]\n"
    "                      [--stdlib DIR] [--serve HOST:PORT]\n"
    "  Runs the journeys of DIR (and what they import) over recorded profiles\n"
    "  and events (NDJSON) on a virtual clock. Prints one NDJSON record per\n"
    "  decision on stdout and a summary per journey and step on stderr.\n"
    "  --until TIME   stop at this RFC 3339 time (default: when no timer is left)\n"
    "  --engine       jit (native code, the default) or interp (the reference\n"
    "                 interpreter); both print the same bytes\n"
    "  --jit-cache    where compiled code is kept between runs (default:\n"
    "                 $XDG_CACHE_HOME/tutti/jit or ~/.cache/tutti/jit); none: nowhere\n"
    "  --serve        then play the same run through a daemon and serve it, its\n"
    "                 API and console (http://HOST:PORT/console/), until Ctrl-C\n"
    "  Exit status: 0 ran (bad input lines are reported and skipped), 1 the\n"
    "  journeys do not check, a file cannot be read or the decisions cannot be\n"
    "  written, 2 usage error.\n";

/// Reports a file's bad lines on stderr as FILE:LINE[:COLUMN]: message,
/// with the value to blame: the marketer's own file, on their terminal.
void ReportErrors(const std::string& path, const runtime::DecodedFile& file) {
  for (const auto& e : file.errors) {
    std::string where = path + ":" + std::to_string(e.line);
    if (e.column) where += ":" + std::to_string(e.column);
    std::fprintf(stderr, "%s: %s%s\n", where.c_str(), e.message.c_str(), e.got.empty() ? "" : (", got " + e.got).c_str());
  }
}

}  // namespace

int RunSimulate(const std::vector<std::string>& raw_args) {
  std::string journeys, profiles_path, events_path, until_text, engine_name = "jit", stdlib_flag,
              jit_cache = DefaultJitCache(), serve;
  if (auto stop = ParseOptions(raw_args,
                               {{"--journeys", &journeys}, {"--profiles", &profiles_path}, {"--events", &events_path},
                                {"--until", &until_text}, {"--engine", &engine_name}, {"--stdlib", &stdlib_flag},
                                {"--jit-cache", &jit_cache}, {"--serve", &serve}},
                               kSimulateUsage, nullptr))
    return *stop;
  if (journeys.empty()) return UsageError("--journeys is required", kSimulateUsage);
  if (profiles_path.empty()) return UsageError("--profiles is required", kSimulateUsage);
  if (events_path.empty()) return UsageError("--events is required", kSimulateUsage);
  if (engine_name != "interp" && engine_name != "jit") return UsageError("--engine must be interp or jit, not '" + engine_name + "'", kSimulateUsage);
  if (!serve.empty()) {
    std::string host;
    uint16_t port = 0;
    if (!runtime::SplitHostPort(serve, &host, &port))
      return UsageError("--serve must be ADDRESS:PORT, such as 127.0.0.1:8080, not '" + serve + "'", kSimulateUsage);
  }
  std::optional<runtime::Instant> until;
  if (!until_text.empty()) {
    std::optional<runtime::Instant> at = runtime::ParseInstant(until_text);
    if (!at) return UsageError("--until must be an RFC 3339 time such as 2026-04-30T00:00:00Z, not '" + until_text + "'", kSimulateUsage);
    until = *at;
  }

  compiler::DiagnosticSink sink;
  auto set = runtime::JourneySet::Load({journeys}, StdlibDir(stdlib_flag), sink);
  if (set == nullptr) {
    std::fputs(compiler::RenderText(sink.Sorted()).c_str(), stderr);
    std::fprintf(stderr, "tutti: the journeys in %s do not check; nothing was simulated\n", journeys.c_str());
    return 1;
  }
  // The run starts on the interpreter and goes on in native code from
  // when LLVM is done (the decisions are the same): a short run never
  // waits for a compile it would not repay.
  if (engine_name == "jit") {
    set->CompileInBackground(JitOptionsFor(jit_cache), [](const Status& status, double) {
      if (!status.ok() && status.code() != StatusCode::kUnavailable)
        std::fprintf(stderr, "tutti: warning: cannot compile the journeys to native code; interpreting those not compiled: %s\n",
                     status.message().c_str());
    });
  }
  const runtime::SchemaTable& schemas = set->schemas();

  runtime::DecodeOptions profile_options;
  profile_options.accept = runtime::Accept::kProfiles;
  // Each file is decoded by every core at once (the lines are independent).
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  runtime::DecodedFile profiles = runtime::DecodeFileInParts(schemas, profiles_path, profile_options, cores);
  runtime::DecodeOptions event_options;
  event_options.accept = runtime::Accept::kEvents;
  runtime::DecodedFile events = runtime::DecodeFileInParts(schemas, events_path, event_options, cores);
  for (const auto* f : {&profiles, &events}) {
    if (!f->read.ok()) {
      std::fprintf(stderr, "tutti: %s\n", f->read.message().c_str());
      return 1;
    }
  }
  ReportErrors(profiles_path, profiles);
  ReportErrors(events_path, events);

  runtime::EngineOptions options;
  options.outbox = false;  // nothing is delivered
  std::unique_ptr<runtime::Engine> engine = set->NewEngine(options);
  // The decisions are written as they are made, on a thread of their own.
  runtime::DecisionWriter writer(stdout);
  runtime::SimulationResult result =
      runtime::Simulate(*engine, profiles.records, std::move(events.records), until,
                        [&](std::vector<runtime::Decision> batch) { writer.Write(std::move(batch)); });
  bool written = writer.Finish();
  for (const std::string& r : result.refused) std::fprintf(stderr, "%s:%s\n", events_path.c_str(), r.c_str());
  std::fputs(runtime::RenderSummary(set->ir(), *engine).c_str(), stderr);
  std::fprintf(stderr,
               "simulated %zu events (%zu after --until left out) over %zu profiles: %zu decisions; "
               "%zu bad profile lines, %zu bad event lines skipped\n",
               result.events_processed, result.events_after_until, profiles.records.size(),
               result.decided, profiles.rejected(), events.rejected() + result.refused.size());
  if (!written) {
    std::fputs("tutti: cannot write the decisions to standard output; they are incomplete\n", stderr);
    return 1;
  }
  if (serve.empty()) return 0;
  // The daemon below compiles its own; this set's compile stops here.
  std::string until_served = runtime::FormatInstant(until ? *until : engine->now());
  engine.reset();
  set.reset();
  return ServeSimulation({journeys, StdlibDir(stdlib_flag), profiles_path, events_path,
                          until_served, serve,
                          engine_name == "jit" ? jit_cache : "", engine_name == "jit"});
}

}  // namespace tutti::cli
