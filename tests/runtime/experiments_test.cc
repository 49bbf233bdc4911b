// The read-out of a journey's experiments (runtime/engine/experiments.h),
// against figures computed by hand: each `choose best` and split arm's
// customers and goals, the goal rate, Wilson's 95% interval, the control
// arm; kept across a snapshot.

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "runtime/engine/experiments.h"
#include "runtime/simulate/simulation.h"
#include "tests/runtime/engine_fixture.h"

namespace tutti::runtime {
namespace {

constexpr const char* kJourneys = R"(profile hcp { id: string key  pref: string }
event launch keyed by hcp { hcp: string }
event rx keyed by hcp { hcp: string }
channel email { kind message  to hcp }
channel sms { kind message  to hcp }
journey launch_mail {
  on launch
  goal when rx
  choose best by (option == hcp.pref ? 1.0 : -1.0) {
    email -> send email "intro"
    sms -> send sms "intro"
    otherwise -> end
  }
  wait 30d
}
)";

/// Profiles h0..h(n-1) and a launch for each at 2026-03-02T10:00Z.
std::pair<std::string, std::string> Launched(int n) {
  std::string profiles, events;
  for (int i = 0; i < n; ++i) {
    profiles += R"({"type": "hcp", "id": "h)" + std::to_string(i) + "\"}\n";
    events += R"({"type": "launch", "hcp": "h)" + std::to_string(i) + R"(", "at": "2026-03-02T10:00:00Z"})" "\n";
  }
  return {profiles, events};
}

TEST(Experiments, WilsonIntervalsMatchHandComputedOnes) {
  auto [lo, hi] = Wilson95(2, 3);  // p = 2/3: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)
  EXPECT_NEAR(lo, 0.2077, 1e-4);
  EXPECT_NEAR(hi, 0.9385, 1e-4);
  std::tie(lo, hi) = Wilson95(0, 10);
  EXPECT_DOUBLE_EQ(lo, 0.0);
  EXPECT_NEAR(hi, 0.2775, 1e-4);
  EXPECT_EQ(Wilson95(0, 0), (std::pair<double, double>(0.0, 1.0)));
}

TEST(Experiments, EachArmCountsItsCustomersAndTheirGoals) {
  testing::EngineFixture f(std::vector<std::pair<std::string, std::string>>{{"p.tutti", kJourneys}});
  std::string profiles, events;
  // Three prefer e-mail (two of them prescribe), one sms (does not), one
  // neither (otherwise).
  const char* prefs[] = {"email", "email", "email", "sms", "fax"};
  for (int i = 0; i < 5; ++i) {
    std::string id = "h" + std::to_string(i);
    profiles += R"({"type": "hcp", "id": ")" + id + R"(", "pref": ")" + prefs[i] + "\"}\n";
    events += R"({"type": "launch", "hcp": ")" + id + R"(", "at": "2026-03-02T10:00:00Z"})" "\n";
  }
  events += R"({"type": "rx", "hcp": "h0", "at": "2026-03-05T10:00:00Z"})" "\n"
            R"({"type": "rx", "hcp": "h2", "at": "2026-03-06T10:00:00Z"})" "\n"
            R"({"type": "rx", "hcp": "h2", "at": "2026-03-07T10:00:00Z"})" "\n";  // after its goal: no instance
  auto engine = f.set().NewEngine();
  Simulate(*engine, f.Decode(profiles, Accept::kProfiles), f.Decode(events, Accept::kEvents), std::nullopt);
  const JourneyStats& st = engine->stats()[0];
  EXPECT_EQ(st.goals, 2);
  // h0 after 3 days to the minute, h2 after 4: buckets are whole days
  // ([3d, 4d) ends at 4d), so half came within 4 days and 90% within 5.
  EXPECT_EQ(st.TimeToGoal(0.5), "4d");
  EXPECT_EQ(st.TimeToGoal(0.9), "5d");
  nlohmann::ordered_json arms = ArmsJson(st, engine->journey(0));
  ASSERT_EQ(arms.size(), 1u) << arms.dump();
  EXPECT_EQ(arms[0]["step"], "choose@9");
  EXPECT_EQ(arms[0]["kind"], "choose_best");
  ASSERT_EQ(arms[0]["arms"].size(), 3u) << arms.dump();
  EXPECT_EQ(arms[0]["arms"][0]["label"], "email");
  EXPECT_EQ(arms[0]["arms"][0]["customers"], 3);
  EXPECT_EQ(arms[0]["arms"][0]["goals"], 2);
  EXPECT_NEAR(arms[0]["arms"][0]["goal_rate"].get<double>(), 2.0 / 3, 1e-12);
  EXPECT_NEAR(arms[0]["arms"][0]["ci95"][0].get<double>(), 0.2077, 1e-4);
  EXPECT_EQ(arms[0]["arms"][1]["label"], "sms");
  EXPECT_EQ(arms[0]["arms"][1]["customers"], 1);
  EXPECT_EQ(arms[0]["arms"][1]["goals"], 0);
  EXPECT_EQ(arms[0]["arms"][2]["label"], "otherwise");
  EXPECT_EQ(arms[0]["arms"][2]["customers"], 1);
  EXPECT_EQ(ArmsText(st, engine->journey(0)),
            "choose@9: email 3 (goal 2, 66.7%, 95% CI 20.8%-93.9%), sms 1 (goal 0, 0.0%, 95% CI 0.0%-79.3%), "
            "otherwise 1 (goal 0, 0.0%, 95% CI 0.0%-79.3%)\n");
  // A restored engine keeps the counts.
  auto restored = f.set().NewEngine();
  ASSERT_TRUE(restored->Restore(engine->Save()).ok());
  EXPECT_EQ(restored->stats()[0].arms, st.arms);
  EXPECT_EQ(restored->stats()[0].goal_after, st.goal_after);
}

TEST(Experiments, TimesToGoalAreBucketedToTheHourThenTheDay) {
  const int64_t hour = 3600 * int64_t{1000000000};
  EXPECT_EQ(GoalBucketText(GoalBucket(0)), "1h");
  EXPECT_EQ(GoalBucketText(GoalBucket(5 * hour + 1)), "6h");
  EXPECT_EQ(GoalBucketText(GoalBucket(47 * hour)), "48h");
  EXPECT_EQ(GoalBucketText(GoalBucket(48 * hour)), "3d");
  EXPECT_EQ(GoalBucketText(GoalBucket(72 * hour - 1)), "3d");
  EXPECT_EQ(GoalBucketText(GoalBucket(399 * 24 * hour)), "400d");
  EXPECT_EQ(GoalBucketText(GoalBucket(5000 * 24 * hour)), "400d+");
  EXPECT_EQ(JourneyStats().TimeToGoal(0.5), "");
}

TEST(Experiments, AHoldoutArmIsTheControl) {
  const char* text = R"(profile hcp { id: string key }
event launch keyed by hcp { hcp: string }
channel email { kind message  to hcp }
journey launch_mail {
  on launch
  split {
    10% holdout -> end
    90% mailed -> send email "intro"
  }
}
)";
  testing::EngineFixture f(std::vector<std::pair<std::string, std::string>>{{"p.tutti", text}});
  auto [profiles, events] = Launched(200);
  auto engine = f.set().NewEngine();
  SimulationResult r = Simulate(*engine, f.Decode(profiles, Accept::kProfiles), f.Decode(events, Accept::kEvents),
                                std::nullopt);
  nlohmann::ordered_json arms = ArmsJson(engine->stats()[0], engine->journey(0))[0]["arms"];
  ASSERT_EQ(arms.size(), 2u) << arms.dump();
  EXPECT_EQ(arms[0]["label"], "holdout");
  EXPECT_EQ(arms[0]["control"], true);
  EXPECT_EQ(arms[1]["control"], false);
  // Every customer drew one arm; the mailed ones are the e-mails sent.
  EXPECT_EQ(arms[0]["customers"].get<int64_t>() + arms[1]["customers"].get<int64_t>(), 200);
  EXPECT_EQ(arms[1]["customers"].get<size_t>(), r.decisions.size());
  EXPECT_GT(arms[0]["customers"].get<int64_t>(), 5);
  EXPECT_LT(arms[0]["customers"].get<int64_t>(), 40);
}

TEST(Experiments, AWaitForAnEventCountsHowItWasLeftAndTheGoalsAfter) {
  const char* text = R"(profile hcp { id: string key }
event launch keyed by hcp { hcp: string }
event opened keyed by hcp { hcp: string }
event rx keyed by hcp { hcp: string }
channel email { kind message  to hcp }
journey launch_mail {
  on launch
  goal when rx
  send email "intro"
  wait up to 7d for opened
  wait 30d
}
)";
  testing::EngineFixture f(std::vector<std::pair<std::string, std::string>>{{"p.tutti", text}});
  auto [profiles, events] = Launched(4);
  // h0 and h1 open (h0 then prescribes); h2 and h3 time out (h3 then
  // prescribes).
  events += R"({"type": "opened", "hcp": "h0", "at": "2026-03-03T10:00:00Z"})" "\n"
            R"({"type": "opened", "hcp": "h1", "at": "2026-03-04T10:00:00Z"})" "\n"
            R"({"type": "rx", "hcp": "h0", "at": "2026-03-05T10:00:00Z"})" "\n"
            R"({"type": "rx", "hcp": "h3", "at": "2026-03-20T10:00:00Z"})" "\n";
  auto engine = f.set().NewEngine();
  Simulate(*engine, f.Decode(profiles, Accept::kProfiles), f.Decode(events, Accept::kEvents), std::nullopt);
  const JourneyStats& st = engine->stats()[0];
  const auto& steps = engine->journey(0).steps;
  auto wait = std::find_if(steps.begin(), steps.end(), [](const auto& s) { return s.op == compiler::ir::StepOp::kWaitEvent; });
  ASSERT_NE(wait, steps.end());
  auto ways = st.arms.find(static_cast<uint32_t>(wait - steps.begin()));
  ASSERT_NE(ways, st.arms.end());
  ASSERT_EQ(ways->second.size(), 2u);
  EXPECT_EQ(ways->second[0], (ArmStats{2, 1}));  // by the event: h0 (goal), h1
  EXPECT_EQ(ways->second[1], (ArmStats{2, 1}));  // by the timeout: h2, h3 (goal)
  // Not an experiment: the read-out leaves it out.
  EXPECT_TRUE(ArmsJson(st, engine->journey(0)).empty());
  EXPECT_EQ(ArmsText(st, engine->journey(0)), "");
  auto restored = f.set().NewEngine();
  ASSERT_TRUE(restored->Restore(engine->Save()).ok());
  EXPECT_EQ(restored->stats()[0].arms, st.arms);
}

}  // namespace
}  // namespace tutti::runtime
