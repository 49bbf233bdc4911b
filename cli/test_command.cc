// tutti test [PATHS...] [--format text|junit] [--min-coverage P] [--stdlib DIR]

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/commands.h"
#include "runtime/journey_tests/runner.h"

namespace tutti::cli {
namespace {

constexpr const char* kTestUsage =
    "usage: tutti test [PATHS...] [--format text|junit] [--min-coverage P] [--stdlib DIR]\n"
    "  Runs the journey tests ('test \"name\" { ... }') declared in PATHS (files or\n"
    "  folders; default journeys/ if it exists, else the current folder), each on\n"
    "  a fresh engine and a virtual clock, and reports which steps of the\n"
    "  journeys there the tests reached.\n"
    "  --format          text (the default) or junit (JUnit XML on stdout, the\n"
    "                    summary on stderr)\n"
    "  --min-coverage P  fail when the tests reach less than P% of the steps\n"
    "  Ends with 'N passed, M failed'. Exit status: 0 every test passed (and the\n"
    "  coverage is met), 1 a test failed, the coverage is short or the journeys\n"
    "  do not check, 2 usage error.\n";

std::string Where(const compiler::Location& at) {
  compiler::LineColumn lc = at.source->Locate(at.range.begin);
  return at.source->path() + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.column);
}

}  // namespace

int RunTest(const std::vector<std::string>& raw_args) {
  std::string format = "text", min_text, stdlib_flag;
  std::vector<std::string> paths;
  if (auto stop = ParseOptions(raw_args, {{"--format", &format}, {"--min-coverage", &min_text}, {"--stdlib", &stdlib_flag}},
                               kTestUsage, &paths))
    return *stop;
  if (format != "text" && format != "junit") return UsageError("--format must be text or junit", kTestUsage);
  double min_coverage = 0;
  if (!min_text.empty()) {
    char* end = nullptr;
    min_coverage = std::strtod(min_text.c_str(), &end);
    if (end == min_text.c_str() || *end != '\0' || min_coverage < 0 || min_coverage > 100)
      return UsageError("--min-coverage takes a percentage from 0 to 100", kTestUsage);
  }
  std::error_code ec;
  if (paths.empty()) paths.push_back(std::filesystem::is_directory("journeys", ec) ? "journeys" : ".");

  compiler::DiagnosticSink sink;
  auto set = runtime::JourneySet::Load(paths, StdlibDir(stdlib_flag), sink);
  if (set == nullptr) {
    std::fputs(compiler::RenderText(sink.Sorted()).c_str(), stderr);
    std::fputs("tutti: the journeys do not check; no test was run\n", stderr);
    return 1;
  }
  runtime::TestReport report = runtime::RunJourneyTests(*set);

  std::string out;
  const compiler::Source* file = nullptr;
  for (const runtime::TestOutcome& t : report.tests) {
    if (t.source != file) {
      if (file != nullptr) out += "\n";
      file = t.source;
      out += file->path() + "\n";
    }
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f ms", t.millis);
    out += std::string(t.passed() ? "  ok    " : "  FAIL  ") + t.name + " (" + ms + ")\n";
    for (const runtime::TestFailure& f : t.failures) {
      std::string message = f.message;
      for (size_t at = 0; (at = message.find('\n', at)) != std::string::npos; at += 7) message.insert(at + 1, "      ");
      out += "        " + Where(f.at) + ": " + message + "\n";
    }
  }
  char percent[64];
  std::snprintf(percent, sizeof percent, "%.1f%%", report.CoveragePercent());
  size_t steps = 0, reached = 0;
  for (const auto& c : report.coverage) steps += c.steps.size(), reached += c.Reached();
  out += "\ncoverage: " + std::to_string(reached) + " of " + std::to_string(steps) + " steps (" + percent + ")\n";
  for (const auto& c : report.coverage) {
    out += "  " + c.journey + " " + std::to_string(c.Reached()) + "/" + std::to_string(c.steps.size());
    std::string missed;
    for (size_t i = 0; i < c.steps.size(); ++i)
      if (!c.reached[i]) missed += (missed.empty() ? "" : ", ") + c.steps[i];
    out += missed.empty() ? "\n" : "  not reached: " + missed + "\n";
  }
  bool short_coverage = !min_text.empty() && report.CoveragePercent() + 1e-9 < min_coverage;
  if (short_coverage) out += "coverage " + std::string(percent) + " is below --min-coverage " + min_text + "%\n";
  std::string summary = std::to_string(report.Passed()) + " passed, " + std::to_string(report.Failed()) + " failed\n";
  if (format == "junit") {
    std::fputs(runtime::ToJUnit(report).c_str(), stdout);
    std::fputs((out + summary).c_str(), stderr);
  } else {
    std::fputs((out + summary).c_str(), stdout);
  }
  return report.Failed() > 0 || short_coverage ? 1 : 0;
}

}  // namespace tutti::cli
