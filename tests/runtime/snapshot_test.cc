// Engine::Save and Engine::Restore on the reference scenario: an engine
// saved and restored into a fresh one at many points of the ABC Pharma
// story makes the golden decisions of `tutti simulate`, byte for byte; a
// damaged or foreign snapshot is refused with a reason, never a crash.
// (journey_differential_test.cc holds the same property to random programs,
// across a reload, on both engines.)

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/engine/journey_set.h"
#include "runtime/engine/stable_hash.h"
#include "runtime/records/decoder.h"

namespace tutti::runtime {
namespace {

std::string Scenario() { return std::string(TUTTI_SOURCE_DIR) + "/examples/abc-pharma/"; }

class Snapshots : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    compiler::DiagnosticSink sink;
    set_ = JourneySet::Load({std::string(TUTTI_SOURCE_DIR) + "/journeys"}, std::string(TUTTI_SOURCE_DIR) + "/stdlib",
                            sink)
               .release();
    ASSERT_NE(set_, nullptr) << compiler::RenderText(sink.Sorted());
    ASSERT_TRUE(set_->Compile().ok());
    profiles_ = new std::vector<Record>(Read("profiles.ndjson", Accept::kProfiles));
    events_ = new std::vector<Record>(Read("events.ndjson", Accept::kEvents));
    std::stable_sort(events_->begin(), events_->end(), [](const Record& a, const Record& b) { return *a.at < *b.at; });
  }
  static void TearDownTestSuite() {
    delete set_;
    delete profiles_;
    delete events_;
  }

  static std::vector<Record> Read(const char* file, Accept accept) {
    DecodeOptions options;
    options.accept = accept;
    DecodedFile f = DecodeFile(set_->schemas(), Scenario() + file, options);
    EXPECT_TRUE(f.errors.empty());
    return std::move(f.records);
  }

  /// The scenario's decisions as NDJSON, the engine saved and replaced by
  /// a restored one before every `every`-th event (0: never), and after
  /// every `timer_every`-th timer once the events are in.
  static std::string Run(bool interpret, size_t every, size_t timer_every) {
    EngineOptions options;
    options.interpret = interpret;
    auto engine = set_->NewEngine(options);
    auto swap = [&] {
      std::string bytes = engine->Save();
      engine = set_->NewEngine(options);
      Status failure = engine->Restore(bytes);
      EXPECT_TRUE(failure.ok()) << failure.message();
    };
    for (const Record& p : *profiles_) engine->UpsertProfile(p);
    for (size_t i = 0; i < events_->size(); ++i) {
      if (every != 0 && i % every == every - 1) swap();
      engine->Ingest((*events_)[i]);
    }
    size_t timers = 0;
    while (auto due = engine->NextDue()) {
      engine->AdvanceTo(*due);
      if (timer_every != 0 && ++timers % timer_every == 0) swap();
    }
    engine->Flush();
    std::string out;
    for (const Decision& d : engine->TakeDecisions()) out += ToJson(d) + "\n";
    return out;
  }

  static JourneySet* set_;
  static std::vector<Record>* profiles_;
  static std::vector<Record>* events_;
};

JourneySet* Snapshots::set_ = nullptr;
std::vector<Record>* Snapshots::profiles_ = nullptr;
std::vector<Record>* Snapshots::events_ = nullptr;

std::string Golden() {
  std::ifstream in(Scenario() + "expected.ndjson");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(Snapshots, RestoredEnginesMakeTheGoldenDecisions) {
  std::string golden = Golden();
  ASSERT_FALSE(golden.empty());
  EXPECT_EQ(Run(false, 0, 0), golden);  // the harness itself
  EXPECT_EQ(Run(false, 10, 50), golden);
  EXPECT_EQ(Run(true, 37, 400), golden);
}

/// The scenario halfway, with instances waiting, sends held, history.
std::string HalfwaySnapshot(const JourneySet& set, const std::vector<Record>& profiles,
                            const std::vector<Record>& events) {
  auto engine = set.NewEngine();
  for (const Record& p : profiles) engine->UpsertProfile(p);
  for (size_t i = 0; i < events.size() / 2; ++i) engine->Ingest(events[i]);
  EXPECT_GT(engine->active_instances(), 1000u);
  return engine->Save();
}

TEST_F(Snapshots, TheAssigneesRolesOfTasksAreKept) {
  // Halfway through the scenario the reps, KAMs and MSLs have tasks: each
  // history entry of a task keeps its assignee's role, restored alike.
  std::string bytes = HalfwaySnapshot(*set_, *profiles_, *events_);
  auto engine = set_->NewEngine();
  ASSERT_TRUE(engine->Restore(bytes).ok());
  std::set<std::string> roles;
  for (uint32_t name : engine->roles()) roles.insert(engine->names().Get(name));
  EXPECT_TRUE(roles.count("field_rep") || roles.count("key_account_manager")) << roles.size();
  size_t with_role = 0;
  for (size_t c = 0; c < engine->store().customer_count(); ++c)
    for (const Interaction& i : engine->store().customer(static_cast<uint32_t>(c)).history) {
      EXPECT_LE(i.role, engine->roles().size());
      with_role += i.role != 0;
    }
  EXPECT_GT(with_role, 0u);
  EXPECT_EQ(engine->Save(), bytes);
}

TEST_F(Snapshots, DamagedSnapshotsAreRefusedWithAReason) {
  std::string bytes = HalfwaySnapshot(*set_, *profiles_, *events_);
  // Cut short anywhere: refused.
  for (size_t cut : {size_t{0}, size_t{5}, bytes.size() / 3, bytes.size() / 2, bytes.size() - 1}) {
    Status failure = set_->NewEngine()->Restore(bytes.substr(0, cut));
    ASSERT_FALSE(failure.ok()) << "a snapshot cut at byte " << cut << " was taken";
    EXPECT_EQ(failure.code(), StatusCode::kCorruption);
    EXPECT_NE(failure.message().find("cannot restore the engine's snapshot"), std::string::npos) << failure.message();
  }
  // Bytes changed at random: refused, or (where the change lands in a
  // value the engine cannot tell from another) taken; never a crash.
  std::mt19937_64 random(42);
  int refused = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::string damaged = bytes;
    for (int k = 0; k < 4; ++k) damaged[random() % damaged.size()] = static_cast<char>(random());
    refused += !set_->NewEngine()->Restore(damaged).ok();
  }
  EXPECT_GT(refused, 100);
}

TEST_F(Snapshots, ACustomerKeptTwiceIsRefusedWithoutNamingIt) {
  // The reason reaches the log, and a customer's key is personal data: the
  // customer is named by number. Every copy of one customer's key is made
  // another's of the same length, and the checksum made again.
  std::string bytes = HalfwaySnapshot(*set_, *profiles_, *events_);
  auto engine = set_->NewEngine();
  ASSERT_TRUE(engine->Restore(bytes).ok());
  const StateStore& store = engine->store();
  ASSERT_GT(store.customer_count(), 2u);
  // Two customers of one profile whose keys have the same length.
  std::string kept, replaced;
  std::map<std::pair<uint32_t, size_t>, uint32_t> first;
  for (uint32_t c = 0; c < store.customer_count() && replaced.empty(); ++c) {
    auto [it, fresh] = first.emplace(std::make_pair(store.customer(c).profile, store.customer(c).key.size()), c);
    if (fresh) continue;
    kept = store.customer(it->second).key;
    replaced = store.customer(c).key;
  }
  ASSERT_FALSE(replaced.empty());
  std::string damaged = bytes.substr(0, bytes.size() - 8);
  for (size_t at = damaged.find(replaced); at != std::string::npos; at = damaged.find(replaced, at + 1))
    damaged.replace(at, replaced.size(), kept);
  const uint64_t sum = StableHash(damaged);
  for (int i = 0; i < 8; ++i) damaged += static_cast<char>(sum >> (8 * i));

  Status failure = set_->NewEngine()->Restore(damaged);
  ASSERT_FALSE(failure.ok());
  EXPECT_NE(failure.message().find("holds customer number"), std::string::npos) << failure.message();
  EXPECT_EQ(failure.message().find(kept), std::string::npos) << failure.message();
}

TEST_F(Snapshots, ASnapshotOfOtherJourneysIsRefused) {
  compiler::DiagnosticSink sink;
  auto other = JourneySet::FromText({{"j.tutti", R"(
profile hcp { id: string key }
channel email { kind message  to hcp }
event ping keyed by hcp { hcp: string }
journey hello {
  on ping
  send email "hello"
}
)"}},
                                    std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
  ASSERT_NE(other, nullptr) << compiler::RenderText(sink.Sorted());
  Status failure = other->NewEngine()->Restore(HalfwaySnapshot(*set_, *profiles_, *events_));
  ASSERT_FALSE(failure.ok());
  EXPECT_NE(failure.message().find("other versions of the journeys"), std::string::npos) << failure.message();
}

TEST_F(Snapshots, ASnapshotOfJourneysWithTheSameNamesButOtherStepsIsRefused) {
  // Same journey name, version and number of steps; another kind of wait.
  auto build = [](const char* wait) {
    compiler::DiagnosticSink sink;
    auto set = JourneySet::FromText({{"j.tutti", std::string(R"(
profile hcp { id: string key }
channel email { kind message  to hcp }
event ping keyed by hcp { hcp: string }
event pong keyed by hcp { hcp: string }
journey hello {
  on ping
  )") + wait + R"(
  send email "hello"
}
)"}},
                                    std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
    EXPECT_NE(set, nullptr) << compiler::RenderText(sink.Sorted());
    return set;
  };
  auto waits_for_event = build("wait up to 7d for pong");
  auto waits_for_time = build("wait 1d");
  auto engine = waits_for_event->NewEngine();
  DecodeOptions options;
  options.accept = Accept::kEither;
  std::istringstream in(R"({"type":"hcp","id":"h1"})" "\n" R"({"type":"ping","hcp":"h1","at":"2026-03-02T10:00:00Z"})");
  DecodedFile f = DecodeFile(waits_for_event->schemas(), in, options);
  ASSERT_TRUE(f.errors.empty());
  engine->UpsertProfile(f.records[0]);
  engine->Ingest(f.records[1]);
  ASSERT_EQ(engine->active_instances(), 1u);
  Status failure = waits_for_time->NewEngine()->Restore(engine->Save());
  ASSERT_FALSE(failure.ok());
  EXPECT_NE(failure.message().find("saved over other versions of the journeys (journey hello differs)"), std::string::npos)
      << failure.message();
}

}  // namespace
}  // namespace tutti::runtime
