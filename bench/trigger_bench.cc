// Trigger dispatch on one core: which of N journeys an event starts.
//
// Workload (the same rules for every contender): events of one type with
// string, int and double fields; journey i is triggered when
//   e.product == "P<i/2>"                     (every rule: string equality)
// and one of, by i % 3,
//   e.amount >= LO && e.amount < HI           (a numeric range)
//   e.region in ["r1", "r4", ...]             (set membership)
//   e.units > K                               (an int bound)
// Events pick a product uniformly among N/2 + N/6 names (a quarter name no
// journey), a region, an amount and units from a fixed seed.
//
// Contenders, over the same events, in one run:
//   interp   the reference interpreter as the engine runs it without the
//            JIT: every journey's condition, one after the other
//   jit      the native dispatch function (compiler/jit/dispatch.h)
//   indexed  a hand-written C++ loop over the same rules: a hash map from
//            product to its rules, then the rule's test on a plain struct
//   naive    a hand-written C++ loop testing every rule
// Every contender must find the same number of firings (checked).
// Also printed: the time to check, lower and compile the N journeys, cold
// and from the disk cache.
//
//   ./build/bench/trigger_bench [--journeys=100,1000,10000] [--events=1000000]
//                               [--repetitions=3] [--only=interp|jit|indexed|naive] [--opt=0|1|2]
//                               [--distinct] [--perf-jit]
//
// --perf-jit tells perf where the generated code is (JitOptions::perf):
//   JITDUMPDIR=/tmp/jd perf record -k 1 ./build/bench/trigger_bench --journeys=10000 --only=jit --perf-jit
//   perf inject --jit -i perf.data -o perf.jit.data && perf report -i perf.jit.data

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/eval/evaluator.h"
#include "runtime/engine/journey_set.h"
#include "runtime/records/decoder.h"
#include "runtime/records/schema_table.h"

#ifndef TUTTI_STDLIB_DIR
#define TUTTI_STDLIB_DIR ""
#endif

namespace {

using namespace tutti;
using compiler::eval::Value;
using Clock = std::chrono::steady_clock;

constexpr const char* kSchemas = R"(
profile hcp { id: string key  rep: string }
event order keyed by hcp { hcp: string, product: string, region: string, amount: double, units: int }
channel email { kind message to hcp }
)";

constexpr int kRegions = 8;

/// The rules, as data, for the hand-written loops.
struct Rule {
  int kind = 0;  // 0 range on amount, 1 region membership, 2 units bound
  std::string product;
  double lo = 0, hi = 0;
  std::vector<std::string> regions;
  int64_t units = 0;
};

struct PlainEvent {
  std::string product, region;
  double amount = 0;
  int64_t units = 0;
};

bool Matches(const Rule& r, const PlainEvent& e) {
  if (e.product != r.product) return false;
  switch (r.kind) {
    case 0: return e.amount >= r.lo && e.amount < r.hi;
    case 1:
      return std::find(r.regions.begin(), r.regions.end(), e.region) != r.regions.end() &&
             (r.units >= 0 || e.units > r.units);
    default: return e.units > r.units;
  }
}

/// --distinct: every rule's numeric bounds are its own, so that no two
/// journeys compile to the same code (by default, rules of a kind differ
/// mostly in string literals, and identical code is compiled once).
bool distinct = false;

std::vector<Rule> MakeRules(int n) {
  std::vector<Rule> rules;
  for (int i = 0; i < n; ++i) {
    Rule r;
    r.kind = i % 3;
    r.product = "P" + std::to_string(i / 2);
    r.lo = 10.0 * (i % 7) + (distinct ? i * 1e-6 : 0);
    r.hi = r.lo + 40.5;
    for (int k = 0; k < kRegions; ++k)
      if ((i + k) % 3 == 0) r.regions.push_back("r" + std::to_string(k));
    r.units = distinct ? -1 - i : i % 5;  // units are never negative: the same firings
    rules.push_back(std::move(r));
  }
  return rules;
}

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

std::string JourneySource(int i, const Rule& r) {
  std::string cond = "e.product == " + Quote(r.product) + " && ";
  switch (r.kind) {
    case 0: cond += "e.amount >= " + std::to_string(r.lo) + " && e.amount < " + std::to_string(r.hi); break;
    case 1: {
      std::string list;
      for (const auto& g : r.regions) list += (list.empty() ? "" : ", ") + Quote(g);
      cond += "e.region in [" + list + "]";
      if (r.units < 0) cond += " && e.units > " + std::to_string(r.units);  // --distinct: always true
      break;
    }
    default: cond += "e.units > " + std::to_string(r.units); break;
  }
  return "import \"schemas\"\njourney rule" + std::to_string(i) + " {\n  on order as e where " + cond +
         "\n  send email \"hello\"\n}\n";
}

std::vector<PlainEvent> MakeEvents(int journeys, int count) {
  std::mt19937_64 rng(11);
  int products = journeys / 2 + journeys / 6 + 1;
  std::vector<PlainEvent> out(count);
  for (auto& e : out) {
    e.product = "P" + std::to_string(rng() % products);
    e.region = "r" + std::to_string(rng() % kRegions);
    e.amount = static_cast<double>(rng() % 10000) / 100.0;
    e.units = static_cast<int64_t>(rng() % 8);
  }
  return out;
}

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::unique_ptr<runtime::JourneySet> Load(const std::vector<Rule>& rules) {
  std::vector<std::pair<std::string, std::string>> files = {{"schemas.tutti", kSchemas}};
  for (size_t i = 0; i < rules.size(); ++i)
    files.emplace_back("rule" + std::to_string(i) + ".tutti", JourneySource(static_cast<int>(i), rules[i]));
  compiler::DiagnosticSink sink;
  auto set = runtime::JourneySet::FromText(files, TUTTI_STDLIB_DIR, sink);
  if (set == nullptr) {
    std::fputs(compiler::RenderText(sink.Sorted()).c_str(), stderr);
    std::abort();
  }
  return set;
}

std::string only;  // --only=NAME: time just that contender (for a profiler)
int opt_level = 2;  // --opt=N: JitOptions::opt_level
bool perf_jit = false;  // --perf-jit: JitOptions::perf

void RunSize(int journeys, int event_count, int repetitions) {
  std::vector<Rule> rules = MakeRules(journeys);
  std::vector<PlainEvent> plain = MakeEvents(journeys, event_count);

  // Compile latency: cold (empty cache), then from the cache.
  std::string cache = (std::filesystem::temp_directory_path() / ("tutti-trigger-bench-" + std::to_string(journeys))).string();
  std::filesystem::remove_all(cache);
  std::filesystem::create_directories(cache);
  compiler::jit::JitOptions jit_options;
  jit_options.cache_dir = cache;
  jit_options.opt_level = opt_level;
  jit_options.perf = perf_jit;
  auto t0 = Clock::now();
  auto set = Load(rules);
  auto t1 = Clock::now();
  tutti::Status failure = set->Compile(jit_options);
  auto t2 = Clock::now();
  if (!failure.ok()) {
    std::fprintf(stderr, "trigger_bench: %s\n", failure.message().c_str());
    std::exit(1);
  }
  auto warm = Load(rules);
  auto t3 = Clock::now();
  failure = warm->Compile(jit_options);
  auto t4 = Clock::now();
  bool from_cache = warm->compiled()->report().from_cache;
  size_t modules = set->compiled()->report().modules;
  warm.reset();
  std::filesystem::remove_all(cache);

  // The events as the engine sees them: flat records.
  const runtime::Schema* schema = set->schemas().FindEvent("order");
  std::vector<Value> records;
  records.reserve(plain.size());
  for (const PlainEvent& e : plain) {
    auto r = std::make_shared<compiler::eval::Record>();
    r->shape = &schema->shape;
    for (const std::string& f : schema->shape.fields) {
      if (f == "hcp") r->values.emplace_back("hcp-1");
      else if (f == "product") r->values.emplace_back(e.product);
      else if (f == "region") r->values.emplace_back(e.region);
      else if (f == "amount") r->values.emplace_back(e.amount);
      else if (f == "units") r->values.emplace_back(e.units);
      else r->values.emplace_back();
    }
    records.emplace_back(std::shared_ptr<const compiler::eval::Record>(std::move(r)));
  }
  Value now(compiler::eval::Timestamp{1772409600, 0});

  // The contenders: each tests the first `n` events and returns the
  // number of firings.
  const auto& ir = set->ir();
  const auto& functions = set->functions();
  auto interp = [&](size_t n) {
    size_t fired = 0;
    for (size_t i = 0; i < n; ++i) {
      compiler::eval::Activation act;
      act.Bind("now", now);
      for (const auto& j : ir.journeys) {
        act.Bind(j.trigger->binding, records[i]);
        Value hit = compiler::eval::Evaluate(*j.trigger->cond, act, functions);
        if (hit.is(compiler::eval::ValueKind::kBool) && hit.AsBool()) ++fired;
      }
    }
    return fired;
  };
  const compiler::jit::CompiledExprs& native = *set->compiled();
  auto jit = [&](size_t n) {
    size_t fired = 0;
    compiler::jit::TriggerHits hits;
    for (size_t i = 0; i < n; ++i) {
      hits.clear();
      native.Dispatch("order", records[i], now, &hits);
      for (const auto& h : hits) fired += h.code == compiler::jit::kTrue;
    }
    return fired;
  };
  std::unordered_map<std::string, std::vector<const Rule*>> index;
  for (const Rule& r : rules) index[r.product].push_back(&r);
  auto indexed = [&](size_t n) {
    size_t fired = 0;
    for (size_t i = 0; i < n; ++i) {
      auto it = index.find(plain[i].product);
      if (it == index.end()) continue;
      for (const Rule* r : it->second) fired += Matches(*r, plain[i]);
    }
    return fired;
  };
  auto naive = [&](size_t n) {
    size_t fired = 0;
    for (size_t i = 0; i < n; ++i)
      for (const Rule& r : rules) fired += Matches(r, plain[i]);
    return fired;
  };

  std::printf("journeys=%d events=%d opt=%d  compile: check+lower %.2f s, native cold %.2f s (%zu distinct modules), "
              "from cache %.2f s (%s)\n",
              journeys, event_count, opt_level, Seconds(t0, t1), Seconds(t1, t2), modules, Seconds(t3, t4),
              from_cache ? "cache hit" : "CACHE MISS");
  // To the first event, the daemon's and simulate's way: the set loaded,
  // its compile started in the background (cold), the first event decided
  // on the interpreter; then until the native code is ready.
  {
    std::filesystem::create_directories(cache);
    auto c0 = Clock::now();
    auto background = Load(rules);
    // Each journey runs natively from when its module is compiled: when
    // the first and half of them are (on the compiling thread; read after
    // the compile ends).
    double first_native = 0, half_native = 0;
    compiler::jit::JitOptions background_options = jit_options;
    background_options.progress = [&](size_t done, size_t modules) {
      if (done == 1) first_native = Seconds(c0, Clock::now());
      if (done == modules / 2) half_native = Seconds(c0, Clock::now());
    };
    background->CompileInBackground(background_options);
    auto engine = background->NewEngine();
    const PlainEvent& e = plain[0];
    std::string line = "{\"type\": \"order\", \"hcp\": \"hcp-1\", \"product\": \"" + e.product + "\", \"region\": \"" +
                       e.region + "\", \"amount\": " + std::to_string(e.amount) + ", \"units\": " +
                       std::to_string(e.units) + ", \"at\": \"2026-03-02T10:00:00Z\"}";
    runtime::DecodeResult profile =
        runtime::DecodeLine(background->schemas(), R"({"type": "hcp", "id": "hcp-1", "rep": "r1"})", 1);
    runtime::DecodeResult decoded = runtime::DecodeLine(background->schemas(), line, 2);
    if (!profile.ok() || !decoded.ok()) std::abort();
    engine->UpsertProfile(profile.record());
    engine->Ingest(decoded.record());
    engine->Flush();
    size_t decided = engine->TakeDecisions().size();
    bool native_then = engine->runs_native();
    auto c1 = Clock::now();
    background->WaitForNativeCode();
    auto c2 = Clock::now();
    std::printf("  to the first event, compiling in the background: %.2f s (%zu decisions, %s); the first journey native "
                "after %.2f s, half of them after %.2f s, all and the dispatch after %.2f s\n",
                Seconds(c0, c1), decided, native_then ? "native" : "interpreted", first_native, half_native,
                Seconds(c0, c2));
    std::filesystem::remove_all(cache);
  }

  // Agreement first, on a prefix every contender can afford.
  size_t check = std::min<size_t>(plain.size(), 2000);
  size_t want = indexed(check);
  for (auto [name, got] : {std::pair<const char*, size_t>{"interp", interp(check)}, {"jit", jit(check)}, {"naive", naive(check)}}) {
    if (got != want) {
      std::fprintf(stderr, "trigger_bench: %s found %zu firings in %zu events, the indexed loop %zu\n", name, got, check, want);
      std::exit(1);
    }
  }
  // The slow contenders run on a prefix, so that a run ends.
  size_t all = plain.size();
  size_t slow = std::min<size_t>(all, std::max<size_t>(2000, 20000000 / static_cast<size_t>(journeys)));
  struct Contender {
    const char* name;
    std::function<size_t(size_t)> run;
    size_t events;
  };
  std::vector<Contender> contenders = {
      {"interp", interp, slow}, {"jit", jit, all}, {"indexed", indexed, all}, {"naive", naive, slow}};
  std::vector<double> medians;
  for (const Contender& c : contenders) {
    if (!only.empty() && only != c.name) {
      medians.push_back(1);
      continue;
    }
    std::vector<double> rates;
    size_t fired = 0;
    for (int r = 0; r < repetitions; ++r) {
      auto start = Clock::now();
      fired = c.run(c.events);
      rates.push_back(static_cast<double>(c.events) / Seconds(start, Clock::now()));
    }
    medians.push_back(Median(rates));
    std::printf("  %-8s %12.0f events/s (median of %d; %zu events, %zu firings)\n", c.name, medians.back(),
                repetitions, c.events, fired);
  }
  std::printf("  jit/interp %.1fx   jit/indexed %.2fx   jit/naive %.1fx\n", medians[1] / medians[0],
              medians[1] / medians[2], medians[1] / medians[3]);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {100, 1000, 10000};
  int events = 1000000, repetitions = 3;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--journeys=", 0) == 0) {
      sizes.clear();
      std::string list = a.substr(11);
      for (size_t p = 0; p < list.size();) {
        size_t comma = list.find(',', p);
        sizes.push_back(std::atoi(list.substr(p, comma - p).c_str()));
        p = comma == std::string::npos ? list.size() : comma + 1;
      }
    } else if (a.rfind("--events=", 0) == 0) {
      events = std::atoi(a.c_str() + 9);
    } else if (a == "--distinct") {
      distinct = true;
    } else if (a == "--perf-jit") {
      perf_jit = true;
    } else if (a.rfind("--opt=", 0) == 0) {
      opt_level = std::atoi(a.c_str() + 6);
    } else if (a.rfind("--only=", 0) == 0) {
      only = a.substr(7);
    } else if (a.rfind("--repetitions=", 0) == 0) {
      repetitions = std::max(1, std::atoi(a.c_str() + 14));
    } else {
      std::fprintf(stderr, "usage: trigger_bench [--journeys=N,...] [--events=N] [--repetitions=R]\n");
      return 2;
    }
  }
  for (int n : sizes) RunSize(n, events, repetitions);
  return 0;
}
