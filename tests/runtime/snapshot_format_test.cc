// Snapshots stay readable by later builds. tests/fixtures/snapshots/ keeps,
// for each snapshot format tutti has written, a snapshot taken by the
// build that introduced it, with the journeys and inputs around it: every
// build must restore each one and go on to the decisions kept beside it
// (the keys they have: later formats may add some), on the interpreter and
// on native code. A build that changes what is
// saved raises the format (runtime/engine/snapshot.cc) and adds a folder;
// it never rewrites one. To take the snapshot of a new folder (one with
// journeys.tutti, profiles.ndjson, before.ndjson and after.ndjson):
//   TUTTI_WRITE_SNAPSHOT_FIXTURE=1 build/tests/runtime_tests --gtest_filter='SnapshotFormats.*'
// Also: saved positions map onto another lowering of the same journey.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/engine/journey_set.h"
#include "runtime/engine/snapshot_positions.h"
#include "runtime/records/decoder.h"

namespace tutti::runtime {
namespace {

namespace fs = std::filesystem;
namespace ir = compiler::ir;

fs::path Fixtures() { return fs::path(TUTTI_SOURCE_DIR) / "tests" / "fixtures" / "snapshots"; }

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Record> Inputs(const JourneySet& set, const fs::path& file, Accept accept) {
  DecodeOptions options;
  options.accept = accept;
  DecodedFile f = DecodeFile(set.schemas(), file.string(), options);
  for (const auto& e : f.errors) ADD_FAILURE() << file << ": " << e.ToString();
  return std::move(f.records);
}

/// Feeds `events` and runs every timer out; the decisions not yet taken,
/// as NDJSON.
std::string RunOut(Engine& engine, const std::vector<Record>& events) {
  for (const Record& e : events) engine.Ingest(e);
  while (auto due = engine.NextDue()) engine.AdvanceTo(*due);
  engine.Flush();
  std::string out;
  for (const Decision& d : engine.TakeDecisions()) out += ToJson(d) + "\n";
  return out;
}

std::unique_ptr<JourneySet> Journeys(const fs::path& dir) {
  compiler::DiagnosticSink sink;
  auto set = JourneySet::Load({dir.string()}, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
  EXPECT_NE(set, nullptr) << compiler::RenderText(sink.Sorted());
  if (set) EXPECT_TRUE(set->Compile().ok());
  return set;
}

std::vector<fs::path> KeptFormats() {
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(Fixtures()))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

/// Where a rule is declared, without the folder the fixture was loaded
/// from (the checkout that took the snapshot, or this one).
nlohmann::json Located(const std::string& key, const nlohmann::json& value) {
  if (key != "rule_at" || !value.is_string()) return value;
  std::string at = value.get<std::string>();
  return at.substr(at.rfind('/') + 1);
}

/// Whether `actual` makes the decisions `kept`, line by line: every key a
/// kept decision has, with its value. Keys a later build added (such as
/// format 5's version_id) are not the kept run's to judge.
::testing::AssertionResult SameDecisions(const std::string& kept, const std::string& actual) {
  std::istringstream a(kept), b(actual);
  std::string x, y;
  for (size_t line = 1; std::getline(a, x); ++line) {
    if (!std::getline(b, y)) return ::testing::AssertionFailure() << "decision " << line << " is missing: " << x;
    nlohmann::json want = nlohmann::json::parse(x), got = nlohmann::json::parse(y);
    for (const auto& [key, value] : want.items())
      if (!got.contains(key) || Located(key, got[key]) != Located(key, value))
        return ::testing::AssertionFailure() << "decision " << line << " differs at '" << key << "':\n  kept " << x
                                             << "\n  made " << y;
  }
  if (std::getline(b, y)) return ::testing::AssertionFailure() << "a decision more: " << y;
  return ::testing::AssertionSuccess();
}

/// Takes the snapshot of a folder that has none yet, and what follows it.
void WriteMissingSnapshot(const fs::path& dir) {
  if (fs::exists(dir / "engine.snapshot")) return;
  auto set = Journeys(dir);
  ASSERT_NE(set, nullptr);
  auto engine = set->NewEngine(EngineOptions{});
  for (const Record& p : Inputs(*set, dir / "profiles.ndjson", Accept::kProfiles)) engine->UpsertProfile(p);
  for (const Record& e : Inputs(*set, dir / "before.ndjson", Accept::kEvents)) engine->Ingest(e);
  std::ofstream(dir / "engine.snapshot", std::ios::binary) << engine->Save();
  std::ofstream(dir / "expected.ndjson", std::ios::binary)
      << RunOut(*engine, Inputs(*set, dir / "after.ndjson", Accept::kEvents));
}

TEST(SnapshotFormats, EveryKeptSnapshotIsRestoredAndGoesOnAsItsRunDid) {
  std::vector<fs::path> dirs = KeptFormats();
  ASSERT_FALSE(dirs.empty()) << "no kept snapshots under " << Fixtures();
  for (const fs::path& dir : dirs) {
    if (std::getenv("TUTTI_WRITE_SNAPSHOT_FIXTURE")) WriteMissingSnapshot(dir);
    SCOPED_TRACE(dir.filename().string());
    auto set = Journeys(dir);
    ASSERT_NE(set, nullptr);
    std::string expected = ReadAll(dir / "expected.ndjson");
    ASSERT_FALSE(expected.empty()) << "no decisions kept in " << dir;
    std::vector<std::unique_ptr<Engine>> restored_engines;
    for (bool interpret : {true, false}) {
      EngineOptions options;
      options.interpret = interpret;
      auto engine = set->NewEngine(options);
      Status restored = engine->Restore(ReadAll(dir / "engine.snapshot"));
      ASSERT_TRUE(restored.ok()) << restored.message();
      EXPECT_TRUE(SameDecisions(expected, RunOut(*engine, Inputs(*set, dir / "after.ndjson", Accept::kEvents))))
          << (interpret ? "interpreter" : "native code");
      restored_engines.push_back(std::move(engine));
    }
    // The kept decisions are what an engine that never stopped makes.
    auto engine = set->NewEngine(EngineOptions{});
    for (const Record& p : Inputs(*set, dir / "profiles.ndjson", Accept::kProfiles)) engine->UpsertProfile(p);
    for (const Record& e : Inputs(*set, dir / "before.ndjson", Accept::kEvents)) engine->Ingest(e);
    EXPECT_TRUE(SameDecisions(expected, RunOut(*engine, Inputs(*set, dir / "after.ndjson", Accept::kEvents))));
    // From format 9 on a snapshot keeps every count of the analytics, by
    // day too: restored, they go on as if the engine never stopped.
    if (std::stoi(dir.filename().string().substr(std::string("format-").size())) >= 9)
      for (const auto& restored : restored_engines) EXPECT_TRUE(restored->stats() == engine->stats());
  }
}

TEST(SnapshotFormats, ASnapshotOfALaterFormatIsRefusedByName) {
  fs::path dir = KeptFormats().front();
  auto set = Journeys(dir);
  ASSERT_NE(set, nullptr);
  std::string bytes = ReadAll(dir / "engine.snapshot");
  // The format number follows the magic (a length-prefixed string).
  size_t at = bytes.find("tutti-engine-snapshot") + std::string("tutti-engine-snapshot").size();
  ASSERT_LT(at, bytes.size());
  bytes[at] = static_cast<char>(bytes[at] + 50);
  Status refused = set->NewEngine(EngineOptions{})->Restore(bytes);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("it was written by a later tutti"), std::string::npos) << refused.message();
}

ir::Journey Lowered(std::vector<std::string> steps, std::vector<std::pair<std::string, std::string>> slots) {
  ir::Journey j;
  for (std::string& id : steps) j.steps.emplace_back().id = std::move(id);
  for (auto& [name, type] : slots) {
    j.slot_names.push_back(name);
    j.slot_types.push_back(type);
  }
  return j;
}

TEST(SnapshotPositions, StepsMoveByIdAndSlotsByNameAndType) {
  ir::Journey saved = Lowered({"let@5", "send@6", "wait@7", "send@8"},
                              {{"win", "formulary_win"}, {"n", "int"}, {"o", "email_opened"}, {"n", "int"}});
  // Another build: a step more in front, slots in another order.
  ir::Journey now = Lowered({"start", "let@5", "send@6", "wait@7", "send@8"},
                            {{"n", "int"}, {"win", "formulary_win"}, {"n", "int"}, {"o", "email_opened"}});
  PositionMap map = MapPositions(PositionsOf(saved), now);
  EXPECT_FALSE(map.identity);
  EXPECT_EQ(map.steps, (std::vector<ir::StepIndex>{1, 2, 3, 4}));
  EXPECT_EQ(map.slots, (std::vector<uint32_t>{1, 0, 3, 2}));  // the n-th 'n' to the n-th
  EXPECT_EQ(map.Step(ir::kDone), ir::kDone);
  EXPECT_EQ(map.Step(9), PositionMap::kGone);
  // A step or slot this build does not have is gone, never guessed.
  ir::Journey fewer = Lowered({"let@5", "wait@7"}, {{"win", "formulary_win"}, {"n", "string"}});
  map = MapPositions(PositionsOf(saved), fewer);
  EXPECT_EQ(map.steps, (std::vector<ir::StepIndex>{0, PositionMap::kGone, 1, PositionMap::kGone}));
  EXPECT_EQ(map.slots, (std::vector<uint32_t>{0, PositionMap::kGone, PositionMap::kGone, PositionMap::kGone}));
  EXPECT_TRUE(MapPositions(PositionsOf(saved), saved).identity);
}

// A journey's counts, as a snapshot or a cluster node's part holds them:
// a count below 0 or above 2^48 is refused, so that adding up shards' or
// nodes' counts cannot overflow.
TEST(SnapshotFormats, JourneyCountsOutOfRangeAreRefused) {
  ir::Journey journey;
  JourneyStats stats;
  stats.entered = 5;
  stats.actions["email"] = 3;
  DayStats day;
  day.day = 20000;
  day.entered = 2;
  stats.days.push_back(day);
  auto back = DecodeJourneyStats(EncodeJourneyStats(stats), journey);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->entered, 5);
  EXPECT_EQ(back->actions.Of("email"), 3);
  EXPECT_EQ(back->days.at(0).entered, 2);
  for (int64_t bad : {int64_t{-1}, (int64_t{1} << 48) + 1, INT64_MAX}) {
    JourneyStats s = stats;
    s.completed = bad;
    EXPECT_FALSE(DecodeJourneyStats(EncodeJourneyStats(s), journey)) << bad;
    s = stats;
    s.actions["email"] = bad;
    EXPECT_FALSE(DecodeJourneyStats(EncodeJourneyStats(s), journey)) << bad;
    s = stats;
    s.days[0].entered = bad;
    EXPECT_FALSE(DecodeJourneyStats(EncodeJourneyStats(s), journey)) << bad;
  }
}

}  // namespace
}  // namespace tutti::runtime
