// How fast the front end reads a large project: a generated program of N
// journeys (with their schemas, channels and a policy), parsed and checked
// from memory. Reports lines per second as a counter.
//
//   ./build/bench/check_bench --benchmark_repetitions=5

#include <string>

#include <benchmark/benchmark.h>

#include "compiler/check/check.h"
#include "stdlib/stdlib.h"

namespace {

using namespace tutti::compiler;

constexpr const char* kSchemas = R"(
profile hcp { id: string key, name: string, account: string, specialty: string,
              preferred_channel: string, timezone: string, consent: set<string>,
              rep: string, decile: int }
profile account { id: string key, name: string }
profile staff { id: string key, name: string, role: string, brands: list<string>,
                available: bool, load: int }
event formulary_win keyed by account { account: string, brand: string, plan: string }
event email_opened keyed by hcp { hcp: string, template: string }
event rx_written keyed by hcp via prescriber { prescriber: string, brand: string, units: int }
channel email { kind message to hcp consent "email" }
channel rep_task { kind task to staff }
policy contact {
  quiet_hours 20:00-08:00 local
  cap email 2 per 7d
  cap any 1 per 1d
  require consent
  arbitrate by priority
  dedupe within 30d
}
)";

// One journey of about 25 lines exercising most step kinds.
std::string Journey(int i) {
  std::string n = std::to_string(i);
  return "journey j" + n + " {\n"
         "  title \"Journey " + n + "\"\n"
         "  priority " + std::to_string(i % 100) + "\n"
         "  reentry after 90d\n"
         "  on formulary_win as win where win.brand == \"B" + n + "\" && win.plan.startsWith(\"P\")\n"
         "  audience hcp where hcp.account == win.account && hcp.decile >= " + std::to_string(i % 10) + "\n"
         "  exit when rx_written as rx where rx.brand == \"B" + n + "\"\n"
         "  let tries = 0\n"
         "  send email \"intro-" + n + "\" to hcp\n"
         "  wait up to 7d for email_opened as e where e.template == \"intro-" + n + "\"\n"
         "    timeout { task hcp.rep \"{hcp.name} has not opened intro " + n + "\" due 3d; end }\n"
         "  set tries = tries + 1\n"
         "  if hcp.specialty in [\"endocrinology\", \"internal medicine\"] {\n"
         "    split { 50% a -> send email \"dosing-" + n + "\" to hcp\n"
         "            50% b -> send email \"savings-" + n + "\" to hcp }\n"
         "  } else {\n"
         "    task staff where staff.role == \"msl\" && win.brand in staff.brands best by -staff.load\n"
         "      \"Follow up with {hcp.name} on {win.plan}\" due 5d\n"
         "  }\n"
         "  wait until 09:00 local\n"
         "  choose {\n"
         "    when engagement(hcp, \"email\") > 0.5 -> send email \"deep-dive-" + n + "\" to hcp\n"
         "    otherwise -> task hcp.rep \"Visit {hcp.name}\"\n"
         "  }\n"
         "}\n";
}

void BM_CheckProject(benchmark::State& state) {
  int journeys = static_cast<int>(state.range(0));
  std::vector<std::pair<std::string, std::string>> files = {{"schemas.tutti", kSchemas}};
  size_t lines = 0;
  for (int i = 0; i < journeys; ++i) {
    std::string text = "import \"schemas\"\n" + Journey(i);
    for (char c : text) lines += c == '\n';
    files.emplace_back("j" + std::to_string(i) + ".tutti", std::move(text));
  }
  for (char c : std::string(kSchemas)) lines += c == '\n';
  BuiltinRegistry builtins;
  tutti::stdlib::RegisterStandardLibrary(builtins);
  for (auto _ : state) {
    DiagnosticSink sink;
    Program program = LoadProgramFromText(files, "", sink);
    CheckResult result = Check(program, builtins, sink);
    if (sink.has_errors()) {
      state.SkipWithError(RenderText(sink.Sorted()).substr(0, 2000).c_str());
      break;
    }
    benchmark::DoNotOptimize(result.journeys_checked);
  }
  state.counters["lines_per_second"] =
      benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["lines"] = static_cast<double>(lines);
}
BENCHMARK(BM_CheckProject)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
