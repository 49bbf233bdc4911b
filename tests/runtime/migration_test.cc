// `migrate`: a changed journey's new version moves instances resting at a
// step of the running version to one of its labelled steps, keeping their
// timers and variables; instances it does not name finish on their
// version; a migration the running version cannot satisfy refuses the
// reload and changes nothing (a line left from an earlier reload warns). Every case runs on the interpreter and on
// native code.

#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "tests/runtime/versions.h"

namespace tutti::runtime {
namespace {

class Migrate : public ::testing::TestWithParam<bool> {};

const std::string kV1 = Journey("onboarding",
                                "  send email \"intro\"\n"
                                "  cooling_off: wait 3d\n"
                                "  send email \"follow-up\"\n");

std::string Refusal(const Result<Engine::ReloadReport>& r) { return r.ok() ? "(taken)" : r.status().message(); }

/// The report of a reload that must be taken.
Engine::ReloadReport Taken(const Result<Engine::ReloadReport>& r) {
  EXPECT_EQ(Refusal(r), "(taken)");
  return r.ok() ? *r : Engine::ReloadReport{};
}

TEST_P(Migrate, WaitingInstancesMoveToTheNewVersionAndKeepTheirTimers) {
  Versions v(kV1, GetParam());
  v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
  EXPECT_EQ(v.Decisions("2026-03-03T00:00:00Z"), std::vector<std::string>{"hcp-1 onboarding v1 action intro"});
  auto report = Taken(v.Reload(Journey("onboarding",
                                                                "  send email \"intro 2\"\n"
                                                                "  cooling_off: wait 5d\n"
                                                                "  send email \"follow-up 2\"\n",
                                                                "  version 2\n  migrate { cooling_off }\n")));
  EXPECT_EQ(report.changed, std::vector<std::string>{"onboarding"});
  EXPECT_EQ(report.migrated, 1u);
  EXPECT_EQ(report.left_on_old, 0u);
  EXPECT_EQ(report.carried_over, 0u);
  // Woken when the first version's 3 days are up, by the new version.
  EXPECT_EQ(v.Decisions("2026-03-05T10:00:00Z"), std::vector<std::string>{"hcp-1 onboarding v2 action follow-up 2"});
  EXPECT_EQ(v.engine().active_instances(), 0u);
}

TEST_P(Migrate, AVersionWithoutLabelsIsNamedByStepIds) {
  // Line 5 of the first version: `wait 3d` (ids as GET /v1/journeys shows).
  Versions v(Journey("onboarding", "  send email \"intro\"\n  wait 3d\n  send email \"follow-up\"\n"), GetParam());
  v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
  auto report = Taken(
      v.Reload(Journey("onboarding", "  send email \"intro\"\n  pause: wait 3d\n  send email \"follow-up 2\"\n",
                       "  version 2\n  migrate { \"wait@5\" -> pause }\n")));
  EXPECT_EQ(report.migrated, 1u);
  EXPECT_EQ(v.Decisions("2026-03-06T00:00:00Z"),
            (std::vector<std::string>{"hcp-1 onboarding v1 action intro", "hcp-1 onboarding v2 action follow-up 2"}));
}

TEST_P(Migrate, VariablesMoveByName) {
  Versions v(Journey("onboarding", "  let tier = \"gold\"\n  let n = 2\n  pause: wait 1d\n"
                                   "  send email \"old\" with { tier: tier, n: n }\n"),
             GetParam());
  v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
  // The new version declares them in another order, and reads both.
  auto report = Taken(v.Reload(Journey("onboarding",
                                                                "  let n = 1\n  let tier = \"none\"\n"
                                                                "  pause: wait 1d\n"
                                                                "  if tier == \"gold\" && n == 2 {\n"
                                                                "    send email \"kept\"\n"
                                                                "  } else {\n"
                                                                "    send email \"lost\"\n"
                                                                "  }\n",
                                                                "  version 2\n  migrate { pause }\n")));
  EXPECT_EQ(report.migrated, 1u);
  EXPECT_EQ(v.Decisions("2026-03-04T00:00:00Z"), std::vector<std::string>{"hcp-1 onboarding v2 action kept"});
}

TEST_P(Migrate, InstancesWaitingForAnEventMoveToTheSameKindOfWait) {
  std::string wait1 = "  w: wait up to 7d for unsubscribed then {\n    send email \"bye\"\n  } timeout {\n"
                      "    send email \"still here\"\n  }\n";
  std::string wait2 = "  w: wait up to 7d for unsubscribed then {\n    send email \"bye 2\"\n  } timeout {\n"
                      "    send email \"still here 2\"\n  }\n";
  Versions v(Journey("onboarding", wait1), GetParam());
  v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
  v.Feed(Enrolled("hcp-2", "2026-03-02T10:00:00Z"));
  auto report = Taken(
      v.Reload(Journey("onboarding", wait2, "  version 2\n  migrate { w }\n")));
  EXPECT_EQ(report.migrated, 2u);
  v.Feed(R"({"type":"unsubscribed","hcp":"hcp-1","at":"2026-03-03T10:00:00Z"})");
  EXPECT_EQ(v.Decisions("2026-03-10T00:00:00Z"),
            (std::vector<std::string>{"hcp-1 onboarding v2 action bye 2", "hcp-2 onboarding v2 action still here 2"}));
}

TEST_P(Migrate, InstancesItDoesNotNameFinishOnTheirVersion) {
  std::string body = "  first: wait 1d\n  send email \"one\"\n  second: wait 5d\n  send email \"two\"\n";
  Versions v(Journey("onboarding", body), GetParam());
  v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
  v.Feed(Enrolled("hcp-2", "2026-03-03T12:00:00Z"));  // hcp-1 is at `second` by then
  EXPECT_EQ(v.Decisions("2026-03-03T12:00:00Z"), std::vector<std::string>{"hcp-1 onboarding v1 action one"});
  std::string body2 = "  first: wait 1d\n  send email \"one 2\"\n  second: wait 5d\n  send email \"two 2\"\n";
  auto report = Taken(
      v.Reload(Journey("onboarding", body2, "  version 2\n  migrate { first }\n")));
  EXPECT_EQ(report.migrated, 1u);
  EXPECT_EQ(report.left_on_old, 1u);
  EXPECT_EQ(v.Decisions("2026-03-10T00:00:00Z"),
            (std::vector<std::string>{"hcp-2 onboarding v2 action one 2", "hcp-1 onboarding v1 action two",
                                      "hcp-2 onboarding v2 action two 2"}));
}

TEST_P(Migrate, WhatTheRunningVersionCannotSatisfyIsRefused) {
  Versions v(Journey("onboarding", "  let n = 1\n  pause: wait 1d\n  send email \"a\"\n"
                                   "  w: wait up to 7d for unsubscribed\n  send email \"b\"\n"),
             GetParam());
  v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
  auto with = [](const std::string& body, const std::string& migrate) {
    return Journey("onboarding", body, "  version 2\n  migrate { " + migrate + " }\n");
  };
  // A step the running version does not have: its waits and sends listed.
  EXPECT_EQ(Refusal(v.Reload(with("  pause: wait 1d\n  send email \"a\"\n", "nope -> pause"))),
            "journey 'onboarding': 'migrate' names 'nope', which the running version does not have (its waits and "
            "sends: 'pause', send@6, 'w', send@8)");
  // A variable the new version reads that the instances do not hold.
  EXPECT_EQ(Refusal(v.Reload(with("  let m = 1\n  pause: wait 1d\n  send email \"a\" with { m: m }\n", "pause"))),
            "journey 'onboarding': instances at 'pause' cannot move to 'pause': the new version reads 'm' there, "
            "which they do not have");
  // The same name with another type.
  EXPECT_EQ(Refusal(v.Reload(with("  let n = \"one\"\n  pause: wait 1d\n  send email \"a\" with { n: n }\n", "pause"))),
            "journey 'onboarding': instances at 'pause' cannot move to 'pause': 'n' is of type int there and of "
            "type string in the new version");
  // A variable the running version no longer keeps there (nothing of it
  // reads `n` after the wait, so waiting instances let it go).
  EXPECT_EQ(Refusal(v.Reload(with("  let n = 5\n  pause: wait 1d\n  send email \"a\" with { n: n }\n", "pause"))),
            "journey 'onboarding': instances at 'pause' cannot move to 'pause': the new version reads 'n' there, "
            "which the running version no longer keeps at that point");
  // Waiting for an event is not waiting for time.
  EXPECT_EQ(Refusal(v.Reload(with("  later: wait 1d\n  send email \"a\"\n", "w -> later"))),
            "journey 'onboarding': instances at 'w' cannot move to 'later': one waits for an event, the other for "
            "time to pass");
  // Another customer profile: its steps would read a staff member's
  // fields from a prescriber.
  EXPECT_EQ(Refusal(v.Reload("import \"records\"\njourney onboarding for staff {\n  version 2\n  migrate { pause }\n"
                             "  pause: wait 1d\n}\n")),
            "journey 'onboarding': 'migrate' cannot move instances for a hcp into a journey for a staff");
  // Nothing changed: the first version goes on.
  EXPECT_EQ(v.Decisions("2026-03-04T00:00:00Z"), std::vector<std::string>{"hcp-1 onboarding v1 action a"});
  EXPECT_EQ(v.engine().journey_count(), 1u);
}

// A `migrate` line left from the reload that moved its instances names a
// step only the retired version has: later reloads go on, with a warning,
// while a step no version ever had (a typo) is still refused.
TEST_P(Migrate, ALineLeftFromAnEarlierReloadWarnsInsteadOfBlocking) {
  Versions v(kV1, GetParam());
  v.Feed(Enrolled("hcp-1", "2026-03-02T10:00:00Z"));
  auto v2 = [](const std::string& version, const std::string& last) {
    return Journey("onboarding", "  send email \"intro\"\n  rest: wait 3d\n  send email \"" + last + "\"\n",
                   "  version " + version + "\n  migrate { cooling_off -> rest }\n");
  };
  auto report = Taken(v.Reload(v2("2", "follow-up 2")));
  EXPECT_EQ(report.migrated, 1u);
  EXPECT_TRUE(report.warnings.empty());
  // Version 3 keeps the line; the running version 2 has no cooling_off.
  report = Taken(v.Reload(v2("3", "follow-up 3")));
  EXPECT_EQ(report.changed, std::vector<std::string>{"onboarding"});
  EXPECT_EQ(report.migrated, 0u);
  EXPECT_EQ(report.warnings,
            std::vector<std::string>{"journey 'onboarding': 'migrate' names 'cooling_off', a step of an earlier version "
                                     "(version 1) that the running version 2 does not have: nothing moves from it, and "
                                     "instances still on the earlier version finish there; the line can go"});
  // The migrated instance finishes on version 2, where it was moved.
  EXPECT_EQ(v.Decisions("2026-03-06T00:00:00Z"),
            (std::vector<std::string>{"hcp-1 onboarding v1 action intro", "hcp-1 onboarding v2 action follow-up 2"}));
  // A name no version has is a mistake, and still refused.
  EXPECT_EQ(Refusal(v.Reload(Journey("onboarding", "  rest: wait 3d\n", "  version 4\n  migrate { cooling_of -> rest }\n"))),
            "journey 'onboarding': 'migrate' names 'cooling_of', which the running version does not have (its waits "
            "and sends: send@6, 'rest', send@8)");
}

INSTANTIATE_TEST_SUITE_P(Engines, Migrate, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Jit" : "Interpreter"; });

}  // namespace
}  // namespace tutti::runtime
