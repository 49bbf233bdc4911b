// The two expression engines on whole journeys: random, well-typed
// programs over random profiles and events must give the same decisions,
// byte for byte.
//
// The contract. For each seed, Generator writes one self-contained program
// (schemas, channels, a contact policy drawn for the seed, and 4 to 8
// journeys), the profiles and a stream of events. The program must check:
// one that does not is a bug of the generator, and fails the test with the
// diagnostics and the source. The set is compiled to native code and run
// twice through runtime::Simulate, by the tree-walking interpreter (the
// reference, EngineOptions::interpret) and by the JIT; the decisions of
// both, as NDJSON, must be identical, and the JIT must never fall back to
// the interpreter. Error decisions are compared like the others: the
// generator writes expressions that fail on some inputs (an int divided by
// a field that may be 0, an optional field read while unset, the first
// element of a list that may be empty, a time zone that does not exist),
// so the engines' error messages are held to each other too.
//
// What the programs use: journey_generator.h.
//
// Cost: kSeeds programs of kEvents events each, one JIT compilation per
// program; a few seconds in all. A longer soak:
//   TUTTI_DIFFERENTIAL_SEEDS=200 ./tests/runtime_tests --gtest_filter='JourneyDifferential*'
// On a disagreement the case is written to a folder (named in the failure)
// that `tutti simulate --engine interp|jit` runs as it is;
// TUTTI_DIFFERENTIAL_KEEP=1 writes every case so.

#include <gtest/gtest.h>

#include "tests/runtime/journey_generator.h"
#include "runtime/simulate/simulation.h"

namespace tutti::runtime {
namespace {

constexpr int kSeeds = 12;

// ---------------------------------------------------------------------------
// Running both engines.

struct Outcome {
  std::string decisions;  // NDJSON
  size_t count = 0;
  size_t kinds[5] = {};   // decisions by DecisionKind
  size_t processed = 0;
  uint64_t fallbacks = 0;
};

Outcome Simulated(const JourneySet& set, bool interpret, const std::vector<Record>& profiles,
              const std::vector<Record>& events) {
  EngineOptions options;
  options.interpret = interpret;
  auto engine = set.NewEngine(options);
  SimulationResult r = Simulate(*engine, profiles, events, std::nullopt);
  Outcome run;
  for (const Decision& d : r.decisions) {
    run.decisions += ToJson(d) + "\n";
    ++run.kinds[static_cast<int>(d.kind)];
  }
  run.count = r.decisions.size();
  run.processed = r.events_processed;
  run.fallbacks = engine->interpreted_fallbacks();
  return run;
}

/// The first decision (line) where two NDJSON texts differ: its number
/// and both versions ("<end>" past the last line); equal texts give two
/// empty lines.
struct Difference {
  size_t line = 0;
  std::string interpreter, jit;
};
Difference FirstDifference(const std::string& interpreter, const std::string& jit) {
  std::istringstream a(interpreter), b(jit);
  std::string la, lb;
  for (size_t line = 1;; ++line) {
    bool ea = !std::getline(a, la), eb = !std::getline(b, lb);
    if (ea && eb) return {};
    if (ea || eb || la != lb) return {line, ea ? "<end>" : la, eb ? "<end>" : lb};
  }
}

/// Writes the case where `tutti simulate --journeys DIR/journeys
/// --profiles DIR/profiles.ndjson --events DIR/events.ndjson` runs it.
std::string Keep(const Case& c, uint64_t seed) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(::testing::TempDir()) / ("journey-differential-" + std::to_string(seed));
  std::error_code ec;
  fs::create_directories(dir / "journeys", ec);
  for (const auto& [name, text] : c.files) std::ofstream(dir / "journeys" / name) << text;
  std::ofstream(dir / "profiles.ndjson") << c.profiles;
  std::ofstream(dir / "events.ndjson") << c.events;
  return dir.string();
}

int SeedCount() {
  const char* env = std::getenv("TUTTI_DIFFERENTIAL_SEEDS");
  int n = env != nullptr ? std::atoi(env) : 0;
  return n > 0 ? n : kSeeds;
}

TEST(JourneyDifferential, GeneratorIsDeterministic) {
  Case a = Generator(7).Generate(), b = Generator(7).Generate();
  EXPECT_EQ(a.Source(), b.Source());
  EXPECT_EQ(a.profiles, b.profiles);
  EXPECT_EQ(a.events, b.events);
  EXPECT_NE(a.Source(), Generator(8).Generate().Source());
}

TEST(JourneyDifferential, InterpreterAndJitDecideAlike) {
  size_t totals[5] = {}, programs = 0, journeys = 0, events = 0, decisions = 0;
  for (int seed = 1; seed <= SeedCount(); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c = Generator(static_cast<uint64_t>(seed)).Generate();
    compiler::DiagnosticSink sink;
    auto set = JourneySet::FromText(c.files, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
    ASSERT_NE(set, nullptr) << "the generated program does not check (a bug of the generator):\n"
                            << compiler::RenderText(sink.Sorted()) << "\n"
                            << c.Source();
    Status failure = set->Compile();
    ASSERT_TRUE(failure.ok()) << "cannot compile: " << failure.message() << "\n" << c.Source();
    ASSERT_NE(set->compiled(), nullptr);

    if (std::getenv("TUTTI_DIFFERENTIAL_KEEP") != nullptr)
      std::printf("[ journeys ] seed %d kept in %s\n", seed, Keep(c, seed).c_str());

    std::vector<Record> profiles = Decode(set->schemas(), c.profiles, Accept::kProfiles);
    std::vector<Record> stream = Decode(set->schemas(), c.events, Accept::kEvents);
    Outcome interp = Simulated(*set, /*interpret=*/true, profiles, stream);
    Outcome native = Simulated(*set, /*interpret=*/false, profiles, stream);

    EXPECT_EQ(native.fallbacks, 0u) << "the JIT fell back to the interpreter";
    EXPECT_EQ(interp.processed, native.processed);
    // Line by line rather than the whole texts, which would print both
    // streams in full: the first decision that differs, then the program.
    Difference d = FirstDifference(interp.decisions, native.decisions);
    EXPECT_EQ(d.interpreter, d.jit) << "the engines disagree at decision " << d.line << " of "
                                    << interp.count << " (interpreter) and " << native.count
                                    << " (JIT);\nthe case is kept in " << Keep(c, seed) << "\nthe program:\n"
                                    << c.Source();
    if (::testing::Test::HasFailure()) return;

    ++programs;
    journeys += set->ir().journeys.size();
    events += stream.size();
    for (int k = 0; k < 5; ++k) {
      totals[k] += interp.kinds[k];
      decisions += interp.kinds[k];
    }
  }
  std::printf("[ journeys ] %zu programs, %zu journeys, %zu events, %zu decisions compared "
              "(action %zu, suppressed %zu, deferred %zu, unassigned %zu, error %zu)\n",
              programs, journeys, events, decisions, totals[0], totals[1], totals[2], totals[3], totals[4]);
  // The generator must keep reaching every kind of decision, or the
  // comparison silently covers less.
  for (int k = 0; k < 5; ++k)
    EXPECT_GT(totals[k], 0u) << "no '" << DecisionKindName(static_cast<DecisionKind>(k)) << "' decision in any program";
}

/// Runs `events` (in time order) over `profiles` on `engine`, then every
/// timer; before the event at `reload_at` (if any) the engine takes on
/// `next`. With `snapshot_every`, before every that many events the engine
/// is saved and replaced by a fresh one (made by `fresh`, which gets
/// whether the reload happened) restored from the bytes. The decisions as
/// NDJSON.
std::string RunWithReload(std::unique_ptr<Engine>& engine, const std::vector<Record>& profiles,
                          std::vector<Record> events, const JourneySet* next, size_t reload_at,
                          size_t snapshot_every = 0,
                          const std::function<std::unique_ptr<Engine>(bool)>& fresh = nullptr) {
  for (const Record& p : profiles) engine->UpsertProfile(p);
  std::stable_sort(events.begin(), events.end(), [](const Record& a, const Record& b) { return *a.at < *b.at; });
  std::string out;
  bool reloaded = false;
  for (size_t i = 0; i < events.size(); ++i) {
    if (next != nullptr && i == reload_at) {
      auto report = engine->Reload(next->ir(), next->schemas(), next->functions(), next->native());
      EXPECT_TRUE(report.ok());
      if (report.ok()) EXPECT_TRUE(report->changed.empty() && report->removed.empty());
      reloaded = true;
    }
    if (snapshot_every != 0 && i % snapshot_every == snapshot_every - 1) {
      // Between two events, often of the same instant: sends wait for the
      // policy, events emitted for later wait, decisions wait to be sorted.
      std::string bytes = engine->Save();
      engine = fresh(reloaded);
      Status failure = engine->Restore(bytes);
      EXPECT_TRUE(failure.ok()) << failure.message();
      EXPECT_EQ(engine->Save(), bytes) << "a restored engine saves other bytes than it was restored from";
    }
    engine->Ingest(events[i]);
  }
  while (auto due = engine->NextDue()) engine->AdvanceTo(*due);
  engine->Flush();
  for (const Decision& d : engine->TakeDecisions()) out += ToJson(d) + "\n";
  return out;
}

/// A case's journeys as two versions of identical text, both compiled,
/// and its profiles and events.
struct Twice {
  std::unique_ptr<JourneySet> first, again;
  std::vector<Record> profiles, stream;
};

bool LoadTwice(const Case& c, Twice& out) {
  compiler::DiagnosticSink sink;
  out.first = JourneySet::FromText(c.files, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
  out.again = JourneySet::FromText(c.files, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
  if (!out.first || !out.again) {
    ADD_FAILURE() << compiler::RenderText(sink.Sorted());
    return false;
  }
  EXPECT_TRUE(out.first->Compile().ok());
  EXPECT_TRUE(out.again->Compile().ok());
  out.profiles = Decode(out.first->schemas(), c.profiles, Accept::kProfiles);
  out.stream = Decode(out.first->schemas(), c.events, Accept::kEvents);
  return !::testing::Test::HasFailure();
}

TEST(JourneyDifferential, ReloadingTheSameJourneysChangesNothing) {
  // Every journey is unchanged, so every running instance carries over to
  // the new version's code (its own IR, native code and record shapes)
  // midway through the stream: the decisions are those of a run without
  // the reload, byte for byte.
  for (int seed = 1; seed <= SeedCount(); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c = Generator(static_cast<uint64_t>(seed)).Generate();
    Twice t;
    ASSERT_TRUE(LoadTwice(c, t));
    const auto& [first, again, profiles, stream] = t;
    auto straight = first->NewEngine();
    std::string expected = RunWithReload(straight, profiles, stream, nullptr, 0);
    auto reloaded = first->NewEngine();
    std::string actual = RunWithReload(reloaded, profiles, stream, again.get(), stream.size() / 2);
    EXPECT_EQ(reloaded->interpreted_fallbacks(), 0u);
    Difference d = FirstDifference(expected, actual);
    EXPECT_EQ(d.interpreter, d.jit) << "the reload changed decision " << d.line << ";\nthe program:\n" << c.Source();
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(JourneyDifferential, SnapshotsChangeNothing) {
  // Saved and restored into a fresh engine every few events (mid-instant
  // too) and across a reload, on native code and on the interpreter, an
  // engine makes the decisions of one that ran straight through, byte for
  // byte; and a restored engine saves the very bytes it was restored from.
  size_t snapshots = 0;
  for (int seed = 1; seed <= SeedCount(); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c = Generator(static_cast<uint64_t>(seed)).Generate();
    Twice t;
    ASSERT_TRUE(LoadTwice(c, t));
    const auto& [first, again, profiles, stream] = t;
    for (bool interpret : {false, true}) {
      EngineOptions options;
      options.interpret = interpret;
      auto straight = first->NewEngine(options);
      std::string expected = RunWithReload(straight, profiles, stream, again.get(), stream.size() / 2);
      size_t every = 7 + static_cast<size_t>(seed) % 5;
      auto fresh = [&](bool reloaded) {
        auto e = first->NewEngine(options);
        if (reloaded) EXPECT_TRUE(e->Reload(again->ir(), again->schemas(), again->functions(), again->native()).ok());
        return e;
      };
      auto restored = first->NewEngine(options);
      std::string actual = RunWithReload(restored, profiles, stream, again.get(), stream.size() / 2, every, fresh);
      snapshots += stream.size() / every;
      Difference d = FirstDifference(expected, actual);
      EXPECT_EQ(d.interpreter, d.jit) << "restoring a snapshot changed decision " << d.line
                                      << (interpret ? " (interpreter)" : " (JIT)") << ";\nthe program:\n"
                                      << c.Source();
      EXPECT_EQ(straight->Save(), restored->Save()) << "the states differ at the end";
      if (::testing::Test::HasFailure()) return;
    }
  }
  std::printf("[ journeys ] %zu snapshots restored\n", snapshots);
}

TEST(JourneyDifferential, NativeCodeTakenUpMidStreamChangesNothing) {
  // A set compiling in the background runs on the interpreter until its
  // code is ready, then on the code, from its next evaluation; a reload
  // onto a version still compiling goes back to the interpreter for it
  // while the retired journeys keep their version's code. Wherever the
  // switches fall, the decisions are the interpreter's, byte for byte.
  // (A third of the seeds: each compiles two sets, and the switch is the
  // same code whatever the program.)
  for (int seed = 1; seed <= std::max(1, SeedCount() / 3); ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c = Generator(static_cast<uint64_t>(seed)).Generate();
    compiler::DiagnosticSink sink;
    auto first = JourneySet::FromText(c.files, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
    auto again = JourneySet::FromText(c.files, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
    ASSERT_TRUE(first && again) << compiler::RenderText(sink.Sorted());
    std::vector<Record> profiles = Decode(first->schemas(), c.profiles, Accept::kProfiles);
    std::vector<Record> stream = Decode(first->schemas(), c.events, Accept::kEvents);
    EngineOptions interpreted;
    interpreted.interpret = true;
    auto reference = first->NewEngine(interpreted);
    std::string expected = RunWithReload(reference, profiles, stream, again.get(), stream.size() / 2);

    auto engine = first->NewEngine();
    for (const Record& p : profiles) engine->UpsertProfile(p);
    std::stable_sort(stream.begin(), stream.end(), [](const Record& a, const Record& b) { return *a.at < *b.at; });
    size_t n = stream.size();
    for (size_t i = 0; i < n; ++i) {
      if (i == n / 4) {
        EXPECT_FALSE(engine->runs_native());
        ASSERT_TRUE(first->Compile().ok());
      }
      if (i == n / 2) {
        EXPECT_TRUE(engine->runs_native());
        ASSERT_TRUE(engine->Reload(again->ir(), again->schemas(), again->functions(), again->native()).ok());
        EXPECT_FALSE(engine->runs_native()) << "a version still compiling runs on the interpreter";
      }
      if (i == 3 * n / 4) {
        Status compiled = Status::Unavailable("not heard");
        again->CompileInBackground({}, [&compiled](const Status& status, double) { compiled = status; });
        again->WaitForNativeCode();
        ASSERT_TRUE(compiled.ok()) << compiled.message();
      }
      engine->Ingest(stream[i]);
    }
    while (auto due = engine->NextDue()) engine->AdvanceTo(*due);
    engine->Flush();
    std::string actual;
    for (const Decision& d : engine->TakeDecisions()) actual += ToJson(d) + "\n";
    EXPECT_TRUE(engine->runs_native());
    EXPECT_EQ(engine->interpreted_fallbacks(), 0u);
    Difference d = FirstDifference(expected, actual);
    EXPECT_EQ(d.interpreter, d.jit) << "taking native code up changed decision " << d.line << ";\nthe program:\n"
                                    << c.Source();
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
}  // namespace tutti::runtime
