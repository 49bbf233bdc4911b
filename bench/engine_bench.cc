// The engine (runtime::Engine), interpreted and compiled, on a generated program and
// generated data, on one core:
//
//   BM_EngineThroughput/journeys:J/profiles:P/events:E/jit:0|1/analytics:0|1
//       the interpreter (jit:0) or native code (jit:1) running
//       J journeys over P hcp profiles; E events (decoded before the clock
//       starts) through Engine::Ingest, then AdvanceTo until every timer
//       has fired and Flush: events per second, the timers the events cause
//       included; analytics:0 without the journey analytics
//       (EngineOptions::analytics), to measure what keeping them costs.
//   BM_WaitingMemory/journey:W/profiles:P/instances:I
//       I instances of one journey left waiting over P profiles (W = 0:
//       `wait 30d` keeping one field of the trigger event; 1: `wait up to
//       30d for EVENT`; 2: `wait 30d` keeping nothing): resident memory
//       (VmRSS) grown per waiting instance, and heap bytes in use
//       (mallinfo2) per instance; the trigger event each instance keeps,
//       its timer entry and the event's history entry included.
//
//   ./build/bench/engine_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//
// The throughput world as files, for timing `tutti simulate` on it:
//   ./build/bench/engine_bench --throughput=1000/100000/1000000 --write-world=/tmp/world
//
// Sizes are set with --throughput=J/P/E[,J/P/E...] and
// --waiting=W/P/I[,W/P/I...] (defaults in main; an empty list skips that
// benchmark). A reduced run for a profiler:
//   valgrind --tool=callgrind --toggle-collect='tutti::runtime::Engine::Ingest(*' \
//     ./build/bench/engine_bench --throughput=100/10000/20000 --waiting=

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "runtime/engine/journey_set.h"
#include "runtime/records/decoder.h"

#ifndef TUTTI_STDLIB_DIR
#define TUTTI_STDLIB_DIR ""
#endif

namespace {

using namespace tutti;

// ---------------------------------------------------------------------------
// The program.

constexpr const char* kSchemas = R"(
profile hcp {
  id: string key
  account: string
  specialty: string
  decile: int
  timezone: string
  consent: set<string>
  preferred_channel: string
  rep: string
}
event rx_written keyed by hcp { hcp: string, brand: string, amount: double, units: int, region: string }
event email_opened keyed by hcp { hcp: string, template: string, brand: string }
channel email { kind message to hcp consent "email" }
channel sms { kind message to hcp consent "sms" }
policy contact {
  quiet_hours 20:00-08:00 local
  cap email 2 per 7d
  cap any 3 per 1d
  require consent
}
)";

/// Journey i: triggered by rx_written for brand B<i>, in one of three forms
/// (string equality; a numeric range first; set membership first), then a
/// let, an if/else if/else with sends, a wait for an open with a timeout
/// task, and a task.
std::string ThroughputJourney(int i) {
  std::string n = std::to_string(i);
  std::string brand = "\"B" + n + "\"";
  std::string cond;
  switch (i % 3) {
    case 0: cond = "e.brand == " + brand; break;
    case 1: cond = "e.amount > 10.5 && e.amount < 90 && e.brand == " + brand; break;
    case 2: cond = "e.region in [\"a\", \"b\"] && e.brand == " + brand; break;
  }
  return "journey j" + n + " {\n"
         "  priority " + std::to_string(i % 100) + "\n"
         "  reentry after 14d\n"
         "  on rx_written as e where " + cond + "\n"
         "  exit when email_opened as u where u.template == \"unsubscribe\"\n"
         "  let score = hcp.decile * 10 + e.units\n"
         "  if score >= 50 && \"email\" in hcp.consent {\n"
         "    send email \"intro-" + n + "\" with { brand: e.brand, units: e.units }\n"
         "    wait up to 3d for email_opened as o where o.template == \"intro-" + n + "\"\n"
         "      then { send email \"thanks-" + n + "\" }\n"
         "      timeout { task hcp.rep \"Call {hcp.id} about {e.brand} ({hcp.specialty})\" due 3d }\n"
         "  } else if hcp.preferred_channel == \"sms\" && \"sms\" in hcp.consent {\n"
         "    send sms \"sms-" + n + "\"\n"
         "  } else {\n"
         "    task hcp.rep \"Visit {hcp.id}: {e.brand} x{e.units}\" due 5d\n"
         "  }\n"
         "}\n";
}

/// The one journey of the memory benchmark, by kind:
///   0  `wait 30d`, then a task naming a field of the trigger event (each
///      waiting instance keeps that one field);
///   1  `wait up to 30d for EVENT`, then the same task;
///   2  `wait 30d`, then a task naming only profile fields (the trigger
///      event is released when the instance starts waiting).
std::string WaitingJourney(int kind) {
  std::string wait = kind == 1 ? "  wait up to 30d for email_opened as o where o.template == \"w\"\n"
                                 "    then { send email \"w-thanks\" }\n"
                               : "  wait 30d\n";
  std::string task = kind == 2 ? "  task hcp.rep \"Follow up {hcp.id}\" due 3d\n"
                               : "  task hcp.rep \"Follow up {hcp.id} on {e.brand}\" due 3d\n";
  return "journey waiter {\n"
         "  on rx_written as e where e.brand == \"W\" && e.amount > 10.5\n" +
         wait + task + "}\n";
}

/// The program under test and the profiles to load.
struct World {
  std::unique_ptr<runtime::JourneySet> set;
  std::vector<runtime::Record> profiles;
};

/// Loads, checks and lowers `files`; aborts on any error (a benchmark of a
/// program that does not check measures nothing).
std::unique_ptr<World> Build(const std::vector<std::pair<std::string, std::string>>& files) {
  auto w = std::make_unique<World>();
  compiler::DiagnosticSink sink;
  w->set = runtime::JourneySet::FromText(files, TUTTI_STDLIB_DIR, sink);
  if (w->set == nullptr) {
    std::fputs(compiler::RenderText(sink.Sorted()).c_str(), stderr);
    std::fputs("engine_bench: the generated program does not check\n", stderr);
    std::abort();
  }
  return w;
}

// ---------------------------------------------------------------------------
// The data: NDJSON lines decoded as `tutti simulate` decodes its files.

runtime::Record Decode(const World& w, const std::string& line, runtime::Accept accept) {
  runtime::DecodeOptions options;
  options.accept = accept;
  runtime::DecodeResult r = runtime::DecodeLine(w.set->schemas(), line, 1, options);
  if (!r.ok()) {
    std::fprintf(stderr, "engine_bench: generated line does not decode: %s\n  %s\n",
                 r.blank() ? "blank" : r.error().ToString().c_str(), line.c_str());
    std::abort();
  }
  return std::move(r.record());
}

std::string HcpId(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "hcp-%06llu", static_cast<unsigned long long>(i));
  return buf;
}

/// `count` hcp profiles as NDJSON lines.
std::vector<std::string> ProfileLines(int count) {
  static const char* kZones[] = {"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
                                 "Europe/Berlin"};
  static const char* kSpecialties[] = {"endocrinology", "internal medicine", "family medicine", "cardiology",
                                       "nephrology"};
  static const char* kConsent[] = {"[]", "[\"email\"]", "[\"sms\"]", "[\"email\", \"sms\"]"};
  static const char* kChannels[] = {"email", "sms", "rep_visit", "remote_detail"};
  std::mt19937_64 rng(42);
  std::vector<std::string> out;
  out.reserve(count);
  for (int i = 0; i < count; ++i) {
    std::string line = "{\"type\": \"hcp\", \"id\": \"" + HcpId(i) + "\", \"account\": \"acct-" +
                       std::to_string(rng() % 2000) + "\", \"specialty\": \"" + kSpecialties[rng() % 5] +
                       "\", \"decile\": " + std::to_string(1 + rng() % 10) + ", \"timezone\": \"" +
                       kZones[rng() % 5] + "\", \"consent\": " + kConsent[rng() % 4] +
                       ", \"preferred_channel\": \"" + kChannels[rng() % 4] + "\", \"rep\": \"rep-" +
                       std::to_string(rng() % 500) + "\"}";
    out.push_back(std::move(line));
  }
  return out;
}

void AddProfiles(World& w, int count) {
  w.profiles.reserve(count);
  for (const std::string& line : ProfileLines(count)) w.profiles.push_back(Decode(w, line, runtime::Accept::kProfiles));
}

/// 2026-03-02T00:00:00Z, a Monday.
constexpr int64_t kStartSeconds = 1772409600;

std::string At(int64_t seconds) {
  return compiler::eval::FormatTimestamp(compiler::eval::Timestamp{seconds, 0});
}

/// `count` events, one every 5 s on average: 85% rx_written for a random
/// customer, brand B0..B<journeys-1>, amount, units and region; 15%
/// email_opened, most for a customer and template of a recent rx_written
/// (so that waits resume), some "unsubscribe" (exit rules).
std::vector<std::string> ThroughputEventLines(int journeys, int profiles, int count) {
  std::mt19937_64 rng(7);
  std::vector<std::string> out;
  out.reserve(count);
  std::vector<std::pair<uint64_t, int>> recent(4096, {0, 0});  // (customer, brand) of recent rx
  int64_t t = kStartSeconds;
  static const char* kRegions[] = {"a", "b", "c", "d", "e", "f"};
  for (int i = 0; i < count; ++i) {
    t += 1 + rng() % 9;
    std::string line;
    if (rng() % 100 < 85) {
      uint64_t c = rng() % profiles;
      int brand = static_cast<int>(rng() % journeys);
      recent[rng() % recent.size()] = {c, brand};
      char amount[32];
      std::snprintf(amount, sizeof amount, "%.2f", static_cast<double>(rng() % 12000) / 100.0);
      line = "{\"type\": \"rx_written\", \"hcp\": \"" + HcpId(c) + "\", \"brand\": \"B" + std::to_string(brand) +
             "\", \"amount\": " + amount + ", \"units\": " + std::to_string(1 + rng() % 8) +
             ", \"region\": \"" + kRegions[rng() % 6] + "\", \"at\": \"" + At(t) + "\"}";
    } else {
      auto [c, brand] = recent[rng() % recent.size()];
      std::string tmpl = rng() % 20 == 0 ? "unsubscribe" : "intro-" + std::to_string(brand);
      line = "{\"type\": \"email_opened\", \"hcp\": \"" + HcpId(c) + "\", \"template\": \"" + tmpl +
             "\", \"brand\": \"B" + std::to_string(brand) + "\", \"at\": \"" + At(t) + "\"}";
    }
    out.push_back(std::move(line));
  }
  return out;
}

std::vector<runtime::Record> ThroughputEvents(const World& w, int journeys, int profiles, int count) {
  std::vector<runtime::Record> out;
  out.reserve(count);
  for (const std::string& line : ThroughputEventLines(journeys, profiles, count))
    out.push_back(Decode(w, line, runtime::Accept::kEvents));
  return out;
}

/// The throughput program's files: schemas.tutti and one file per journey.
std::vector<std::pair<std::string, std::string>> ThroughputFiles(int journeys) {
  std::vector<std::pair<std::string, std::string>> files = {{"schemas.tutti", kSchemas}};
  for (int i = 0; i < journeys; ++i)
    files.emplace_back("j" + std::to_string(i) + ".tutti", "import \"schemas\"\n" + ThroughputJourney(i));
  return files;
}

/// Keeps the last world built (building one takes seconds; repetitions
/// reuse it, and a different size frees the previous one first).
struct Cache {
  std::vector<int64_t> key;
  std::unique_ptr<World> world;
  std::vector<runtime::Record> events;
};
Cache& TheCache() {
  static Cache cache;
  return cache;
}

// ---------------------------------------------------------------------------
// Throughput.

void BM_EngineThroughput(benchmark::State& state) {
  const int journeys = static_cast<int>(state.range(0));
  const int profiles = static_cast<int>(state.range(1));
  const int events = static_cast<int>(state.range(2));
  Cache& cache = TheCache();
  const bool jit = state.range(3) != 0;
  const bool analytics = state.range(4) != 0;
  std::vector<int64_t> key = {0, journeys, profiles, events};
  if (cache.key != key) {
    cache = Cache{};
    cache.world = Build(ThroughputFiles(journeys));
    AddProfiles(*cache.world, profiles);
    cache.events = ThroughputEvents(*cache.world, journeys, profiles, events);
    cache.key = key;
  }
  if (jit && cache.world->set->compiled() == nullptr) {
    auto t0 = std::chrono::steady_clock::now();
    tutti::Status failure = cache.world->set->Compile();
    if (!failure.ok()) {
      cache = Cache{};  // a set is compiled once: the next run builds its own
      return state.SkipWithError(("cannot compile: " + failure.message()).c_str());
    }
    std::fprintf(stderr, "engine_bench: compiled %d journeys in %.2f s\n", journeys,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const World& w = *cache.world;
  runtime::EngineOptions options;
  options.interpret = !jit;
  options.analytics = analytics;

  size_t entered = 0, timers_after_ingest = 0;
  size_t kinds[5] = {};  // decisions by DecisionKind, per iteration
  for (auto _ : state) {
    auto engine_ptr = w.set->NewEngine(options);
    runtime::Engine& engine = *engine_ptr;
    for (const runtime::Record& p : w.profiles) engine.UpsertProfile(p);
    std::fill(std::begin(kinds), std::end(kinds), 0);
    // What a driver does with decisions, minus the I/O: takes them in
    // batches and looks at each.
    auto take = [&] {
      for (const runtime::Decision& d : engine.TakeDecisions()) ++kinds[static_cast<int>(d.kind)];
    };

    auto start = std::chrono::steady_clock::now();
    size_t n = 0;
    for (const runtime::Record& e : cache.events) {
      engine.Ingest(e);
      if (++n % 1024 == 0) take();
    }
    timers_after_ingest = engine.pending_timers();
    // Let every wait time out and every deferred send go.
    engine.AdvanceTo(engine.now() + int64_t{8} * 24 * 3600 * 1000 * runtime::kNanosPerMilli);
    engine.Flush();
    take();
    auto stop = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(stop - start).count());

    entered = 0;
    for (const auto& s : engine.stats()) entered += s.entered;
    if (engine.active_instances() != 0) state.SkipWithError("instances left after every timer fired");
  }
  const double per_iter = static_cast<double>(cache.events.size());
  state.counters["events_per_s"] =
      benchmark::Counter(per_iter * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["entered"] = static_cast<double>(entered);
  state.counters["actions"] = static_cast<double>(kinds[static_cast<int>(runtime::DecisionKind::kAction)]);
  state.counters["suppressed"] = static_cast<double>(kinds[static_cast<int>(runtime::DecisionKind::kSuppressed)]);
  state.counters["deferred"] = static_cast<double>(kinds[static_cast<int>(runtime::DecisionKind::kDeferred)]);
  if (size_t errors = kinds[static_cast<int>(runtime::DecisionKind::kError)])
    state.SkipWithError(("the generated journeys made " + std::to_string(errors) + " error decisions").c_str());
  state.counters["timers_after_ingest"] = static_cast<double>(timers_after_ingest);
}
// ---------------------------------------------------------------------------
// Memory per waiting instance.

/// Resident set size of this process, in bytes, from /proc/self/status.
size_t ResidentBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  return 0;
}

/// Bytes malloc has handed out and not had back (arena and mmapped).
size_t HeapBytes() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

void BM_WaitingMemory(benchmark::State& state) {
  const int kind = static_cast<int>(state.range(0));
  const int profiles = static_cast<int>(state.range(1));
  const int instances = static_cast<int>(state.range(2));
  Cache& cache = TheCache();
  std::vector<int64_t> key = {1, kind, profiles, instances};
  if (cache.key != key) {
    cache = Cache{};
    cache.world = Build({{"schemas.tutti", kSchemas},
                         {"waiter.tutti", "import \"schemas\"\n" + WaitingJourney(kind)}});
    AddProfiles(*cache.world, profiles);
    // One trigger per instance, round robin over the customers, one a
    // second (11.6 days for a million: no 30-day wait ends meanwhile).
    std::mt19937_64 rng(11);
    cache.events.reserve(instances);
    for (int i = 0; i < instances; ++i) {
      char amount[32];
      std::snprintf(amount, sizeof amount, "%.2f", 11.0 + static_cast<double>(rng() % 8000) / 100.0);
      std::string line = "{\"type\": \"rx_written\", \"hcp\": \"" + HcpId(i % profiles) +
                         "\", \"brand\": \"W\", \"amount\": " + amount + ", \"units\": " +
                         std::to_string(1 + rng() % 8) + ", \"region\": \"a\", \"at\": \"" +
                         At(kStartSeconds + i) + "\"}";
      cache.events.push_back(Decode(*cache.world, line, runtime::Accept::kEvents));
    }
    cache.key = key;
  }
  const World& w = *cache.world;

  double rss_per = 0, heap_per = 0, waiting = 0, rss_grown = 0;
  for (auto _ : state) {
    auto engine = w.set->NewEngine();
    for (const runtime::Record& p : w.profiles) engine->UpsertProfile(p);
    malloc_trim(0);
    size_t rss0 = ResidentBytes(), heap0 = HeapBytes();
    auto start = std::chrono::steady_clock::now();
    for (const runtime::Record& e : cache.events) engine->Ingest(e);
    auto stop = std::chrono::steady_clock::now();
    engine->TakeDecisions();
    size_t rss1 = ResidentBytes(), heap1 = HeapBytes();
    state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
    waiting = static_cast<double>(engine->active_instances());
    if (waiting != instances) state.SkipWithError("not every trigger left a waiting instance");
    rss_grown = static_cast<double>(rss1) - static_cast<double>(rss0);
    rss_per = rss_grown / waiting;
    heap_per = (static_cast<double>(heap1) - static_cast<double>(heap0)) / waiting;
    engine.reset();
  }
  state.counters["rss_bytes_per_instance"] = rss_per;
  state.counters["heap_bytes_per_instance"] = heap_per;
  state.counters["rss_grown_MiB"] = rss_grown / (1024.0 * 1024.0);
  state.counters["waiting"] = waiting;
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(cache.events.size() * state.iterations()), benchmark::Counter::kIsRate);
}
/// Writes the throughput world of `sizes` (journeys, profiles, events) as
/// `tutti simulate` reads it: DIR/journeys/*.tutti, DIR/profiles.ndjson,
/// DIR/events.ndjson. False, with a message, when a file cannot be written.
bool WriteWorld(const std::string& dir, const std::vector<int64_t>& sizes) {
  const int journeys = static_cast<int>(sizes[0]);
  std::error_code ec;
  std::filesystem::create_directories(dir + "/journeys", ec);
  auto write = [&](const std::string& path, auto&& fill) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    fill(out);
    if (out.flush()) return true;
    std::fprintf(stderr, "engine_bench: cannot write %s\n", path.c_str());
    return false;
  };
  for (const auto& [name, text] : ThroughputFiles(journeys))
    if (!write(dir + "/journeys/" + name, [&](std::ofstream& out) { out << text; })) return false;
  auto lines = [](const std::vector<std::string>& all) {
    return [&all](std::ofstream& out) {
      for (const std::string& line : all) out << line << '\n';
    };
  };
  return write(dir + "/profiles.ndjson", lines(ProfileLines(static_cast<int>(sizes[1])))) &&
         write(dir + "/events.ndjson",
               lines(ThroughputEventLines(journeys, static_cast<int>(sizes[1]), static_cast<int>(sizes[2]))));
}

/// "a/b/c,d/e/f" -> {{a, b, c}, {d, e, f}}; empty on a malformed list.
std::vector<std::vector<int64_t>> ParseSizes(const std::string& text) {
  std::vector<std::vector<int64_t>> out(1);
  std::string number;
  auto flush = [&] {
    if (number.empty()) return false;
    out.back().push_back(std::strtoll(number.c_str(), nullptr, 10));
    number.clear();
    return true;
  };
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      number += c;
    } else if (c == '/') {
      if (!flush()) return {};
    } else if (c == ',') {
      if (!flush() || out.back().size() != 3) return {};
      out.emplace_back();
    } else {
      return {};
    }
  }
  if (!flush() || out.back().size() != 3) return {};
  return out;
}

}  // namespace

// Sizes: --throughput=JOURNEYS/PROFILES/EVENTS[,...] and
// --waiting=JOURNEY/PROFILES/INSTANCES[,...] replace the defaults below
// (an empty list leaves that benchmark out); --write-world=DIR writes the
// first throughput world as files for `tutti simulate` and runs nothing;
// every other flag goes to Google Benchmark.
int main(int argc, char** argv) {
  // journey kind (WaitingJourney): 0 `wait 30d` keeping one event field;
  // 1 `wait up to 30d for`; 2 `wait 30d` keeping nothing of the event.
  std::string throughput = "100/100000/200000,1000/100000/200000";
  std::string waiting = "0/100000/1000000,1/100000/1000000,2/100000/1000000";
  std::string world_dir;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--throughput=", 0) == 0) throughput = a.substr(13);
    else if (a.rfind("--write-world=", 0) == 0) world_dir = a.substr(14);
    else if (a.rfind("--waiting=", 0) == 0) waiting = a.substr(10);
    else rest.push_back(argv[i]);
  }
  for (auto [flag, text] : {std::pair<const char*, std::string*>{"--throughput", &throughput}, {"--waiting", &waiting}}) {
    if (!text->empty() && ParseSizes(*text).empty()) {
      std::fprintf(stderr, "engine_bench: %s wants A/B/C[,A/B/C...], not '%s'\n", flag, text->c_str());
      return 2;
    }
  }
  if (!world_dir.empty()) {
    if (throughput.empty()) {
      std::fputs("engine_bench: --write-world wants a --throughput size\n", stderr);
      return 2;
    }
    return WriteWorld(world_dir, ParseSizes(throughput).front()) ? 0 : 1;
  }
  if (!throughput.empty()) {
    auto* b = benchmark::RegisterBenchmark("BM_EngineThroughput", BM_EngineThroughput);
    b->ArgNames({"journeys", "profiles", "events", "jit", "analytics"})
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
    // On the same world, one after the other: the interpreter, the JIT, and
    // the JIT without the journey analytics (what keeping them costs).
    for (auto args : ParseSizes(throughput)) {
      for (auto [jit, analytics] : {std::pair{0, 1}, std::pair{1, 1}, std::pair{1, 0}}) {
        std::vector<int64_t> row = args;
        row.push_back(jit);
        row.push_back(analytics);
        b->Args(row);
      }
    }
  }
  if (!waiting.empty()) {
    auto* b = benchmark::RegisterBenchmark("BM_WaitingMemory", BM_WaitingMemory);
    b->ArgNames({"journey", "profiles", "instances"})->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
    for (const auto& args : ParseSizes(waiting)) b->Args(args);
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
