// Tutti in ../shared/peerbench: the driver its run.sh calls for an engine
// listed in PB_EXTRA (bench/peerbench.sh writes that list), following the
// harness's protocol (its README, "Driver protocol"):
//
//   peerbench_driver RULES EVENTS M COUNTS_OUT [--interpret]
//
// Each rule becomes one journey, written as a marketer would write it:
//   A  on rx as e where e.brand == "B03" && e.specialty == "SP07" && e.units > 250
//   B  on rx as e where e.region == "RG04" && e.score >= 0.75
//   C  on rx as e where e.brand in ["B01", "B05", "B09"] && !(e.specialty == "SP03")
// Setup (timed as setup_s) checks, lowers and compiles the journeys to
// native code with an empty cache. The first M events are then read into
// the records the engine decides on (load_s), and each is dispatched to
// the journeys it starts (eval_s): a rule's count is the number of events
// that started its journey. --interpret tests every journey's condition
// with the reference interpreter instead, as the engine does without the
// JIT.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/eval/evaluator.h"
#include "runtime/engine/journey_set.h"

#ifndef TUTTI_STDLIB_DIR
#define TUTTI_STDLIB_DIR ""
#endif

namespace {

using namespace tutti;
using compiler::eval::Value;
using Clock = std::chrono::steady_clock;

constexpr const char* kSchemas = R"(
profile hcp { id: string key }
event rx keyed by hcp { hcp: string, brand: string, specialty: string, region: string, units: int, score: double }
channel email { kind message to hcp }
)";

[[noreturn]] void Fail(const std::string& why) {
  std::fprintf(stderr, "peerbench_driver: %s\n", why.c_str());
  std::exit(1);
}

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

/// A threshold as a double literal: the harness writes "1" for 64/64.
std::string DoubleLiteral(const std::string& t) {
  return t.find_first_of(".eE") == std::string::npos ? t + ".0" : t;
}

/// One line of the rules file as a journey's trigger condition.
std::string Condition(const std::string& line) {
  std::istringstream in(line);
  std::string kind, id;
  in >> kind >> id;
  if (kind == "A") {
    std::string brand, spec, units;
    in >> brand >> spec >> units;
    return "e.brand == " + Quote(brand) + " && e.specialty == " + Quote(spec) + " && e.units > " + units;
  }
  if (kind == "B") {
    std::string region, t;
    in >> region >> t;
    return "e.region == " + Quote(region) + " && e.score >= " + DoubleLiteral(t);
  }
  if (kind == "C") {
    std::string brands, spec, list;
    in >> brands >> spec;
    std::istringstream each(brands);
    for (std::string b; std::getline(each, b, ',');) list += (list.empty() ? "" : ", ") + Quote(b);
    return "e.brand in [" + list + "] && !(e.specialty == " + Quote(spec) + ")";
  }
  Fail("a rule of unknown kind: " + line);
}

long RssKb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) Fail("usage: peerbench_driver RULES EVENTS M COUNTS_OUT [--interpret | --perf-jit]");
  // --perf-jit: perf can name the generated code (JitOptions::perf).
  const bool interpret = argc > 5 && std::string(argv[5]) == "--interpret";
  const bool perf = argc > 5 && std::string(argv[5]) == "--perf-jit";
  const size_t m = std::strtoull(argv[3], nullptr, 10);

  // Setup: the journeys, checked, lowered and compiled.
  auto t0 = Clock::now();
  std::vector<std::pair<std::string, std::string>> files = {{"schemas.tutti", kSchemas}};
  {
    std::ifstream rules(argv[1]);
    if (!rules) Fail(std::string("cannot read ") + argv[1]);
    size_t i = 0;
    for (std::string line; std::getline(rules, line); ++i) {
      if (line.empty()) continue;
      std::string name = "rule" + std::to_string(i);
      files.emplace_back(name + ".tutti", "import \"schemas\"\njourney " + name + " {\n  on rx as e where " +
                                              Condition(line) + "\n  send email \"hello\"\n}\n");
    }
  }
  const size_t rule_count = files.size() - 1;
  compiler::DiagnosticSink sink;
  auto set = runtime::JourneySet::FromText(files, TUTTI_STDLIB_DIR, sink);
  if (set == nullptr) Fail(compiler::RenderText(sink.Sorted()));
  // Journey k of the program is rule k (journeys are named rule<k>).
  const auto& journeys = set->ir().journeys;
  std::vector<size_t> rule_of(journeys.size());
  for (size_t k = 0; k < journeys.size(); ++k) rule_of[k] = std::stoul(journeys[k].name.substr(4));
  std::filesystem::path cache =
      std::filesystem::temp_directory_path() / ("tutti-peerbench-" + std::to_string(getpid()));
  if (!interpret) {
    compiler::jit::JitOptions options;
    options.cache_dir = cache.string();  // empty: a cold compile
    options.perf = perf;
    std::filesystem::create_directories(cache);
    Status compiled = set->Compile(options);
    std::filesystem::remove_all(cache);
    if (!compiled.ok()) Fail(compiled.message());
  }
  auto t1 = Clock::now();
  long engine_rss = RssKb();

  // Load: the first M events as the records the engine decides on.
  const runtime::Schema* schema = set->schemas().FindEvent("rx");
  std::vector<Value> events;
  events.reserve(m);
  {
    std::ifstream in(argv[2]);
    if (!in) Fail(std::string("cannot read ") + argv[2]);
    std::string hcp, brand, spec, region;
    int64_t units;
    double score;
    while (events.size() < m && in >> hcp >> brand >> spec >> region >> units >> score) {
      auto r = std::make_shared<compiler::eval::Record>();
      r->shape = &schema->shape;
      for (const std::string& f : schema->shape.fields) {
        if (f == "hcp") r->values.emplace_back(hcp);
        else if (f == "brand") r->values.emplace_back(brand);
        else if (f == "specialty") r->values.emplace_back(spec);
        else if (f == "region") r->values.emplace_back(region);
        else if (f == "units") r->values.emplace_back(units);
        else if (f == "score") r->values.emplace_back(score);
        else r->values.emplace_back();
      }
      events.emplace_back(std::shared_ptr<const compiler::eval::Record>(std::move(r)));
    }
    if (events.size() < m) Fail("the events file holds fewer than M events");
  }
  auto t2 = Clock::now();

  // Eval: every event against every rule, one core.
  std::vector<uint64_t> counts(rule_count, 0);
  uint64_t matches = 0;
  const Value now(compiler::eval::Timestamp{1772409600, 0});
  const auto& functions = set->functions();
  if (interpret) {
    compiler::eval::Activation act;
    act.Bind("now", now);
    for (const Value& e : events) {
      act.Bind("e", e);
      for (size_t k = 0; k < journeys.size(); ++k) {
        Value hit = compiler::eval::Evaluate(*journeys[k].trigger->cond, act, functions);
        if (hit.is(compiler::eval::ValueKind::kBool) && hit.AsBool()) ++counts[rule_of[k]], ++matches;
      }
    }
  } else {
    const compiler::jit::CompiledExprs& native = *set->compiled();
    compiler::jit::TriggerHits hits;
    compiler::eval::Activation act;
    act.Bind("now", now);
    for (const Value& e : events) {
      hits.clear();
      native.Dispatch("rx", e, now, &hits);
      for (const compiler::jit::TriggerHit& h : hits) {
        bool fired = h.code == compiler::jit::kTrue;
        if (h.code == compiler::jit::kTestLater) {  // what native code leaves to the interpreter
          act.Bind("e", e);
          Value v = compiler::eval::Evaluate(*journeys[h.journey].trigger->cond, act, functions);
          fired = v.is(compiler::eval::ValueKind::kBool) && v.AsBool();
        }
        if (fired) ++counts[rule_of[h.journey]], ++matches;
      }
    }
  }
  auto t3 = Clock::now();

  std::ofstream out(argv[4]);
  for (uint64_t c : counts) out << c << "\n";
  if (!out) Fail(std::string("cannot write ") + argv[4]);
  std::printf("RESULT setup_s=%.3f load_s=%.3f eval_s=%.3f events=%zu matches=%llu engine_rss_kb=%ld\n",
              Seconds(t0, t1), Seconds(t1, t2), Seconds(t2, t3), m, static_cast<unsigned long long>(matches),
              engine_rss);
  return 0;
}
