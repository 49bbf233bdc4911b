// A journey's counts per UTC day (JourneyStats::days), what its analytics
// over a time window add up: each count lands on the day it happened (an
// entry on its day, a goal or an exit days later on theirs, a suppression
// on the day its send was judged, a step reached or an arm taken on its
// day, a goal for its arms on the day they were taken), several shards add
// up to one engine's days, a snapshot keeps them, and days older than kept
// are dropped.

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "runtime/engine/shards.h"
#include "tests/runtime/engine_fixture.h"

namespace tutti::runtime {
namespace {

constexpr const char* kDaysProgram = R"(
profile hcp { id: string key }
event launch keyed by hcp { hcp: string }
event rx_written keyed by hcp { hcp: string }
event opted_out keyed by hcp { hcp: string }
channel email { kind message  to hcp }
policy contact { cap email 1 per 7d }

journey nurture {
  reentry always
  on launch
  goal when rx_written
  exit when opted_out
  send email "welcome"
  wait 3d
  send email "reminder"
}
)";

constexpr const char* kProfiles = R"({"type": "hcp", "id": "h1"}
{"type": "hcp", "id": "h2"}
{"type": "hcp", "id": "h3"}
)";

// 1 March: h1 and h2 enter, two welcomes. 2 March: h1 enters again, its
// welcome capped (suppressed that day). 3 March: h2 prescribes (a goal).
// 4 March: h1's first reminder is capped by the welcome of 1 March and
// that instance completes. 5 March: h1 opts out before its second
// instance's reminder (an exit).
constexpr const char* kLaunchEvents = R"({"type": "launch", "hcp": "h1", "at": "2026-03-01T10:00:00Z"}
{"type": "launch", "hcp": "h2", "at": "2026-03-01T11:00:00Z"}
{"type": "launch", "hcp": "h1", "at": "2026-03-02T10:00:00Z"}
{"type": "rx_written", "hcp": "h2", "at": "2026-03-03T09:00:00Z"}
{"type": "opted_out", "hcp": "h1", "at": "2026-03-05T09:00:00Z"}
)";

int64_t Day(const char* date) { return DayOf(*ParseInstant(std::string(date) + "T00:00:00Z")); }

const DayStats* Find(const JourneyStats& s, const char* date) {
  for (const DayStats& d : s.days)
    if (d.day == Day(date)) return &d;
  return nullptr;
}

class JourneyDays : public ::testing::Test {
 protected:
  testing::EngineFixture f{std::vector<std::pair<std::string, std::string>>{{"p.tutti", kDaysProgram}}};
  std::vector<Record> profiles = f.Decode(kProfiles, Accept::kProfiles);
  std::vector<Record> events = f.Decode(kLaunchEvents, Accept::kEvents);

  std::unique_ptr<Engine> Played() {
    auto engine = f.set().NewEngine();
    for (const Record& p : profiles) engine->UpsertProfile(p);
    for (const Record& e : events) engine->Ingest(e);
    engine->AdvanceTo(*ParseInstant("2026-03-10T00:00:00Z"));
    return engine;
  }
};

TEST_F(JourneyDays, EachCountLandsOnTheDayItHappened) {
  auto engine = Played();
  const JourneyStats& s = engine->stats()[0];
  ASSERT_EQ(s.days.size(), 5u) << "1, 2, 3, 4 and 5 March";
  const DayStats* first = Find(s, "2026-03-01");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->entered, 2);
  EXPECT_EQ(first->actions.Of("email"), 2);
  const DayStats* second = Find(s, "2026-03-02");
  EXPECT_EQ(second->entered, 1);
  EXPECT_TRUE(second->actions.empty());
  EXPECT_EQ(second->suppressed.Of("cap email 1 per 7d"), 1);
  EXPECT_EQ(Find(s, "2026-03-03")->goals, 1);
  // h1's first reminder went out; h2's instance had reached its goal.
  const DayStats* fourth = Find(s, "2026-03-04");
  EXPECT_EQ(fourth->completed, 1);
  EXPECT_EQ(fourth->suppressed.Of("cap email 1 per 7d"), 1) << "h1's reminder: the cap counts the welcome of 1 March";
  EXPECT_EQ(Find(s, "2026-03-05")->exited, 1);
  // A window adds its days up; the whole of them is the journey's totals.
  DayStats all = s.Window(Day("2026-01-01"), Day("2026-04-01"));
  EXPECT_EQ(all.entered, s.entered);
  EXPECT_EQ(all.completed, s.completed);
  EXPECT_EQ(all.exited, s.exited);
  EXPECT_EQ(all.goals, s.goals);
  EXPECT_EQ(all.actions, s.actions);
  EXPECT_EQ(all.suppressed, s.suppressed);
  EXPECT_EQ(s.Window(Day("2026-03-02"), Day("2026-03-04")).entered, 1);
}

TEST_F(JourneyDays, ShardsAddUpToOneEngineAndASnapshotKeepsThem) {
  auto one = Played();
  Shards shards(3, [&](EngineOptions o) { return f.set().NewEngine(o); });
  std::vector<Shards::Input> inputs;
  for (const Record& p : profiles) inputs.push_back({INT64_MIN, &p});
  for (const Record& e : events) inputs.push_back({*ToInstant(*e.at), &e});
  shards.Apply(inputs);
  shards.AdvanceTo(*ParseInstant("2026-03-10T00:00:00Z"));
  std::vector<JourneyStats> stats = shards.stats();
  const JourneyStats& merged = stats[0];
  const JourneyStats& alone = one->stats()[0];
  ASSERT_EQ(merged.days.size(), alone.days.size());
  for (size_t i = 0; i < alone.days.size(); ++i) {
    EXPECT_EQ(merged.days[i].day, alone.days[i].day);
    EXPECT_TRUE(merged.days[i] == alone.days[i]) << "day " << merged.days[i].day;
  }
  auto restored = f.set().NewEngine();
  ASSERT_TRUE(restored->Restore(one->Save()).ok());
  ASSERT_EQ(restored->stats()[0].days.size(), alone.days.size());
  EXPECT_EQ(restored->stats()[0].days.back().exited, 1);
  EXPECT_EQ(restored->Save(), one->Save());
}

/// A file of the hand-worked trial (tests/fixtures/trial/, which says
/// what happens on each day).
std::string Trial(const char* file) {
  std::ifstream in(std::string(TUTTI_SOURCE_DIR) + "/tests/fixtures/trial/" + file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(JourneyDaysOfSteps, StepsArmsAndTimesToGoalLandOnTheirDays) {
  testing::EngineFixture f{std::vector<std::pair<std::string, std::string>>{{"p.tutti", Trial("trial.tutti")}}};
  auto engine = f.set().NewEngine();
  for (const Record& p : f.Decode(Trial("profiles.ndjson"), Accept::kProfiles)) engine->UpsertProfile(p);
  for (const Record& e : f.Decode(Trial("events.ndjson"), Accept::kEvents)) engine->Ingest(e);
  engine->AdvanceTo(*ParseInstant("2026-03-10T00:00:00Z"));
  const JourneyStats& s = engine->stats()[0];
  const auto& steps = engine->journey(0).steps;
  auto index = [&](compiler::ir::StepOp op) {
    auto it = std::find_if(steps.begin(), steps.end(), [&](const auto& st) { return st.op == op; });
    EXPECT_NE(it, steps.end());
    return static_cast<uint32_t>(it - steps.begin());
  };
  uint32_t choose = index(compiler::ir::StepOp::kChooseBest), wait = index(compiler::ir::StepOp::kWaitEvent);

  // The first two days: three customers chose, two of a (both reached the
  // goal since), one of b; one left the wait by the event (and reached
  // the goal); one goal in the days themselves, after 3 hours.
  DayStats first = s.Window(Day("2026-03-01"), Day("2026-03-03"));
  EXPECT_EQ(first.entered, 3);
  EXPECT_EQ(first.goals, 1);
  ASSERT_EQ(first.arms.count(choose), 1u);
  EXPECT_EQ(first.arms.at(choose), (std::vector<ArmStats>{{2, 2}, {1, 0}, {0, 0}}));
  EXPECT_EQ(first.arms.at(wait), (std::vector<ArmStats>{{1, 1}, {0, 0}}));
  ASSERT_GT(first.step_visits.size(), choose);
  EXPECT_EQ(first.step_visits[choose], 3);
  EXPECT_EQ(first.step_visits[wait], 3);
  EXPECT_EQ(TimeToGoal(first.goal_after, 0.5), "4h");
  // The next two: h2's timeout, and h1's goal after 71 hours (within 3
  // days); no one chose.
  DayStats next = s.Window(Day("2026-03-03"), Day("2026-03-05"));
  EXPECT_EQ(next.goals, 1);
  EXPECT_EQ(next.arms.count(choose), 0u);
  EXPECT_EQ(next.arms.at(wait), (std::vector<ArmStats>{{0, 0}, {1, 0}}));
  EXPECT_EQ(next.step_visits[choose], 0);
  EXPECT_EQ(TimeToGoal(next.goal_after, 0.5), "3d");
  // Every day together is the journey's totals.
  JourneyStats all = InJourneyShape(s.Window(Day("2026-01-01"), Day("2026-04-01")), steps.size());
  EXPECT_EQ(all.step_visits, s.step_visits);
  EXPECT_EQ(all.arms, s.arms);
  EXPECT_EQ(all.TimeToGoal(0.5), s.TimeToGoal(0.5));
  EXPECT_EQ(all.TimeToGoal(0.9), s.TimeToGoal(0.9));
  // A snapshot keeps the days' steps, arms and times to goal.
  auto restored = f.set().NewEngine();
  ASSERT_TRUE(restored->Restore(engine->Save()).ok());
  EXPECT_TRUE(restored->stats()[0] == s);
}

TEST(JourneyDaysKept, DaysOlderThanKeptAreDropped) {
  JourneyStats s;
  const Instant day = 86400 * int64_t{1000000000};
  ++s.Day(0).entered;
  ++s.Day(10 * day).entered;
  ++s.Day(kStatsDaysKept * day).entered;  // day 0 is now 400 days old
  ASSERT_EQ(s.days.size(), 2u);
  EXPECT_EQ(s.days.front().day, 10);
  ++s.Day(5 * day).entered;  // a late count of an earlier day finds its place
  EXPECT_EQ(s.days[0].day, 5);
  EXPECT_EQ(s.Window(0, 11).entered, 2);
  EXPECT_EQ(DayOf(-1), -1) << "before 1970, days round down";
  // Counts of the engine's first, partial day add up without overflow.
  JourneyStats first, merged;
  ++first.Day(INT64_MIN + 1).entered;
  merged += first;
  ASSERT_EQ(merged.days.size(), 1u);
  EXPECT_EQ(merged.days[0].day, DayOf(INT64_MIN));
}

}  // namespace
}  // namespace tutti::runtime
