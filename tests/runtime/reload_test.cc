// Engine::Reload: a new version of the journeys takes over between two
// inputs. Unchanged journeys carry their instances over; instances of a
// changed or removed journey finish on the version they started on; history,
// caps, re-entry and pauses carry over by name; a change of record layout is
// refused and changes nothing. Every case runs on the interpreter and on
// native code, which must agree.

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/engine/journey_set.h"
#include "runtime/records/decoder.h"
#include "tests/runtime/versions.h"

namespace tutti::runtime {
namespace {

const std::string kOnboarding =
    Journey("onboarding", "  send email \"intro\"\n  wait 3d\n  send email \"follow-up\"\n",
            "  exit when unsubscribed\n");

class Reload : public ::testing::TestWithParam<bool> {};

TEST_P(Reload, UnchangedJourneyCarriesItsInstancesOver) {
  Versions v(kOnboarding, GetParam());
  v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
  auto report = *(v.Reload(kOnboarding + "\n// a comment elsewhere changes nothing\n"));
  EXPECT_EQ(report.unchanged, std::vector<std::string>{"onboarding"});
  EXPECT_TRUE(report.changed.empty());
  EXPECT_EQ(report.carried_over, 1u);
  EXPECT_EQ(report.left_on_old, 0u);
  EXPECT_EQ(v.Decisions("2026-03-06T00:00:00Z"),
            (std::vector<std::string>{"hcp-1 onboarding v1 action intro", "hcp-1 onboarding v1 action follow-up"}));
  EXPECT_EQ(v.engine().journey_count(), 1u);
}

TEST_P(Reload, ChangedJourneyFinishesOldInstancesOnTheirVersion) {
  Versions v(kOnboarding, GetParam());
  v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
  EXPECT_EQ(v.Decisions("2026-03-02T10:00:00Z"), std::vector<std::string>{"hcp-1 onboarding v1 action intro"});
  auto report = *(
      v.Reload(Journey("onboarding", "  send email \"intro 2\"\n  wait 1d\n  send email \"follow-up 2\"\n",
                       "  version 2\n  exit when unsubscribed\n")));
  EXPECT_EQ(report.changed, std::vector<std::string>{"onboarding"});
  EXPECT_EQ(report.left_on_old, 1u);
  v.Feed(Enrolled("hcp-2", "2026-03-02T11:00:00Z"));
  EXPECT_EQ(v.Decisions("2026-03-06T00:00:00Z"),
            (std::vector<std::string>{"hcp-2 onboarding v2 action intro 2", "hcp-2 onboarding v2 action follow-up 2",
                                      "hcp-1 onboarding v1 action follow-up"}));
  EXPECT_TRUE(v.engine().retired(0));
  EXPECT_FALSE(v.engine().retired(1));
}

TEST_P(Reload, RetiredVersionsKeepTheirExitRules) {
  Versions v(kOnboarding, GetParam());
  v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
  v.Decisions("2026-03-02T10:00:00Z");
  // The new version has no exit rule; the running instance keeps its own.
  ASSERT_TRUE((
      v.Reload(Journey("onboarding", "  send email \"intro\"\n  wait 3d\n  send email \"follow-up\"\n"))).ok());
  v.Feed(R"({"type":"unsubscribed","hcp":"hcp-1","at":"2026-03-03T10:00:00Z"})");
  EXPECT_TRUE(v.Decisions("2026-03-06T00:00:00Z").empty());
  EXPECT_EQ(v.engine().stats()[0].exited, 1u);
  EXPECT_EQ(v.engine().active_instances(), 0u);
}

TEST_P(Reload, RemovedJourneyStartsNothingButFinishes) {
  std::string other = "import \"records\"\njourney other {\n  on unsubscribed\n  send email \"sorry\"\n}\n";
  Versions v(kOnboarding + other.substr(other.find("journey")), GetParam());
  v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
  auto report = *(v.Reload(other));
  EXPECT_EQ(report.removed, std::vector<std::string>{"onboarding"});
  EXPECT_EQ(report.unchanged, std::vector<std::string>{"other"});
  v.Feed(Enrolled("hcp-2", "2026-03-02T11:00:00Z"));
  EXPECT_EQ(v.Decisions("2026-03-06T00:00:00Z"),
            (std::vector<std::string>{"hcp-1 onboarding v1 action intro", "hcp-1 onboarding v1 action follow-up"}));
}

TEST_P(Reload, CapsReentryAndPausesCarryOverByName) {
  std::string policy = "policy contact {\n  cap email 2 per 30d\n}\n";
  std::string v1 = Journey("onboarding", "  send email \"intro\"\n", "  reentry never\n") +
                   "journey news {\n  on unsubscribed\n  send email \"news\"\n}\n" + policy;
  Versions v(v1, GetParam());
  v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
  v.Feed(Enrolled("hcp-2", "2026-03-02T10:00:00Z"));
  ASSERT_TRUE(v.engine().SetPaused("news", true));
  std::string v2 = Journey("onboarding", "  send email \"intro 2\"\n", "  reentry never\n") +
                   "journey news {\n  on unsubscribed\n  send email \"news 2\"\n}\n" + policy;
  ASSERT_TRUE((v.Reload(v2)).ok());
  // Re-entry: hcp-1 entered the first version; the second is the same journey.
  v.Feed(Enrolled("hcp-1", "2026-03-03T10:00:00Z"));
  // Paused before: still paused.
  v.Feed(R"({"type":"unsubscribed","hcp":"hcp-2","at":"2026-03-03T11:00:00Z"})");
  std::vector<std::string> before = v.Decisions("2026-03-04T00:00:00Z");
  EXPECT_EQ(before, (std::vector<std::string>{"hcp-1 onboarding v1 action intro", "hcp-2 onboarding v1 action intro"}));
  ASSERT_TRUE(v.engine().SetPaused("news", false));
  // The cap counts the first version's send: hcp-2 has one, may take one more.
  v.Feed(R"({"type":"unsubscribed","hcp":"hcp-2","at":"2026-03-05T11:00:00Z"})");
  v.Feed(R"({"type":"unsubscribed","hcp":"hcp-2","at":"2026-03-06T11:00:00Z"})");
  std::vector<std::string> after = v.Decisions("2026-03-07T00:00:00Z");
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0], "hcp-2 news v1 action news 2");
  EXPECT_EQ(after[1], "hcp-2 news v1 suppressed news 2");
}

TEST_P(Reload, StartFromARetiredVersionStartsTheCurrentTarget) {
  std::string target1 = "journey welcome for hcp {\n  send email \"welcome 1\"\n}\n";
  std::string target2 = "journey welcome for hcp {\n  send email \"welcome 2\"\n}\n";
  std::string starter = Journey("starter", "  wait 1d\n  start welcome\n");
  Versions v(starter + target1, GetParam());
  v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
  // Changing the starter retires the running instance's version; its
  // `start` names the journey, whose current version is the second.
  ASSERT_TRUE((
      v.Reload(Journey("starter", "  wait 2d\n  start welcome\n") + target2)).ok());
  EXPECT_EQ(v.Decisions("2026-03-04T00:00:00Z"), std::vector<std::string>{"hcp-1 welcome v1 action welcome 2"});
}

// What may not change in records is schema_growth_test.cc's; new
// profiles and events are a normal reload.
TEST_P(Reload, NewProfilesAndEventsAreANormalReload) {
  Versions v(kOnboarding, GetParam());
  v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
  auto added = v.Reload(kOnboarding + "profile rep { id: string key }\n");
  ASSERT_TRUE(added.ok()) << added.status().message();
  EXPECT_EQ(v.Decisions("2026-03-06T00:00:00Z"),
            (std::vector<std::string>{"hcp-1 onboarding v1 action intro", "hcp-1 onboarding v1 action follow-up"}));
  added = v.Reload(kOnboarding + "profile rep { id: string key }\nevent visited keyed by hcp { hcp: string }\n");
  EXPECT_TRUE(added.ok()) << added.status().message();
}

TEST_P(Reload, ARunningOldVersionCountsForReentry) {
  std::string head = "  reentry after 1h\n";
  Versions v(Journey("onboarding", "  send email \"intro\"\n  wait 1d\n  send email \"bye\"\n", head), GetParam());
  v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
  ASSERT_TRUE((
      v.Reload(Journey("onboarding", "  send email \"intro 2\"\n  wait 1d\n  send email \"bye 2\"\n", head))).ok());
  // Two hours on, re-entry would be allowed, but the first run is still
  // going (on the retired version): the customer is in the journey.
  v.Feed(Enrolled("hcp-1", "2026-03-02T12:00:00Z"));
  EXPECT_EQ(v.Decisions("2026-03-04T00:00:00Z"),
            (std::vector<std::string>{"hcp-1 onboarding v1 action intro", "hcp-1 onboarding v1 action bye"}));
  EXPECT_EQ(v.engine().stats()[1].not_reentered, 1u);
}

TEST(ReloadEngines, InterpreterAndJitStartJourneysInTheSameOrderAfterAReload) {
  // A changed journey gets a new engine index at the end; both engines must
  // still start journeys in program order, which decides entry numbers and
  // so idempotency keys.
  auto two = [](const std::string& a_text) {
    return Journey("aa", "  send email \"" + a_text + "\"\n") +
           "journey bb {\n  on enrolled\n  send email \"b\"\n}\n";
  };
  std::vector<std::string> keys[2];
  for (bool jit : {false, true}) {
    Versions v(two("a"), jit);
    ASSERT_TRUE((v.Reload(two("a 2"))).ok());
    v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
    v.engine().AdvanceTo(*ToInstant(compiler::eval::ParseTimestamp("2026-03-03T00:00:00Z").AsTimestamp()));
    for (const Decision& d : v.engine().TakeDecisions()) keys[jit].push_back(d.journey + " " + d.idempotency_key);
  }
  EXPECT_EQ(keys[0], keys[1]);
  EXPECT_EQ(keys[0].size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Engines, Reload, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Jit" : "Interpreter"; });

}  // namespace
}  // namespace tutti::runtime
