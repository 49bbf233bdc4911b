// One contact budget for every channel: a task a journey asks a colleague
// to do for a prescriber (`task ... via rep_task`) is a contact with that
// prescriber. The contact policy counts it with the messages, caps it with
// limits of its own and arbitrates it by journey priority; a task the
// policy does not cover, and every notification, goes out as before.

#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "tests/runtime/engine_fixture.h"

namespace tutti::runtime {
namespace {

constexpr const char* kRecords = R"(profile hcp { id: string key  rep: string  timezone: string }
event launch keyed by hcp { hcp: string }
event won keyed by hcp { hcp: string }
channel email { kind message  to hcp }
channel rep_task { kind task  to hcp }
channel msl_request { kind task  to hcp }
)";

/// The decisions of `policy` and `journeys` over one prescriber's events
/// (without their version_id, which these tests do not judge).
std::string Decide(const std::string& policy, const std::string& journeys, const std::string& events) {
  testing::EngineFixture f(std::vector<std::pair<std::string, std::string>>{
      {"p.tutti", std::string(kRecords) + "policy contact {\n" + policy + "}\n" + journeys}});
  auto profiles = f.Decode(R"({"type": "hcp", "id": "h1", "rep": "michael", "timezone": "UTC"})" "\n", Accept::kProfiles);
  return std::regex_replace(f.Run(profiles, f.Decode(events, Accept::kEvents)),
                            std::regex(R"("version_id":"[0-9a-f]+",)"), "");
}

std::string Event(const char* type, const char* at) {
  return std::string(R"({"type": ")") + type + R"(", "hcp": "h1", "at": ")" + at + "\"}\n";
}

constexpr const char* kEmailThenVisit = R"(
journey launch_mail {
  priority 60
  on launch
  send email "launch"
}
journey visit_on_win {
  priority 40
  on won
  task hcp.rep "Visit {hcp.id}" via rep_task due 5d
}
)";

size_t Count(const std::string& out, const std::string& what) {
  size_t n = 0;
  for (size_t at = out.find(what); at != std::string::npos; at = out.find(what, at + 1)) ++n;
  return n;
}

TEST(ContactBudget, ATaskCountsAgainstACapWithTheMessages) {
  std::string out = Decide("  cap [email, task] 1 per 7d\n", kEmailThenVisit,
                        Event("launch", "2026-03-02T10:00:00Z") + Event("won", "2026-03-03T10:00:00Z"));
  EXPECT_NE(out.find(R"("decision":"action","journey":"launch_mail")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("decision":"suppressed","journey":"visit_on_win","version":1,"customer":"h1","step":"task@19",)"
                     R"("cause":"won","input":2,"entered_by":2,"kind":"task","channel":"rep_task","text":"Visit h1","assignee":"michael",)"
                     R"("due":"2026-03-08T10:00:00Z","policy":"contact","rule":"cap [email, task] 1 per 7d",)"
                     R"("rule_at":"p.tutti:8:3","reason":"h1 was already contacted 1 time on these channels in the window"})"),
            std::string::npos)
      << out;
  // A week later the budget has room again, for the task as for e-mail.
  out = Decide("  cap [email, task] 1 per 7d\n", kEmailThenVisit,
            Event("launch", "2026-03-02T10:00:00Z") + Event("won", "2026-03-09T10:00:01Z"));
  EXPECT_NE(out.find(R"("decision":"action","journey":"visit_on_win")"), std::string::npos) << out;
}

TEST(ContactBudget, ATaskCountedFirstHoldsBackTheMessages) {
  std::string out = Decide("  cap [email, rep_task] 1 per 7d\n", kEmailThenVisit,
                        Event("won", "2026-03-02T10:00:00Z") + Event("launch", "2026-03-03T10:00:00Z"));
  EXPECT_NE(out.find(R"("decision":"action","journey":"visit_on_win")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("decision":"suppressed","journey":"launch_mail")"), std::string::npos) << out;
}

TEST(ContactBudget, ATaskChannelHasALimitOfItsOwn) {
  const std::string journeys = R"(
journey visit {
  reentry always
  on won
  task hcp.rep "Visit" via rep_task
  task hcp.rep "Answer" via msl_request
  send email "thanks"
}
)";
  std::string out = Decide("  cap rep_task 1 per 7d\n", journeys,
                        Event("won", "2026-03-02T10:00:00Z") + Event("won", "2026-03-04T10:00:00Z"));
  EXPECT_EQ(Count(out, R"("decision":"action","journey":"visit","version":1,"customer":"h1","step":"task@)"
                       R"(14","cause":"won","input":1,"entered_by":1,"kind":"task","channel":"rep_task")"), 1u) << out;
  EXPECT_EQ(Count(out, R"("decision":"suppressed")"), 1u) << out;
  EXPECT_EQ(Count(out, R"("channel":"msl_request","text":"Answer")"), 2u) << out;  // not capped
  EXPECT_EQ(Count(out, R"("template":"thanks")"), 2u) << out;                    // nor are messages
}

TEST(ContactBudget, ArbitrationWeighsTasksByPriority) {
  // The same instant: the higher priority e-mail goes, the visit waits for
  // another day.
  const std::string journeys = R"(
journey launch_mail {
  priority 60
  on won
  send email "launch"
}
journey visit_on_win {
  priority 40
  on won
  task hcp.rep "Visit" via rep_task
}
)";
  std::string out = Decide("  arbitrate by priority within 1d for [any, rep_task]\n", journeys,
                        Event("won", "2026-03-02T10:00:00Z"));
  EXPECT_NE(out.find(R"("decision":"action","journey":"launch_mail")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("decision":"suppressed","journey":"visit_on_win")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("reason":"launch_mail (priority 60) reached h1 on 2026-03-02T10:00:00Z; this journey has priority 40")"),
            std::string::npos)
      << out;
  // Without the task channel in its list, arbitration holds messages only.
  out = Decide("  arbitrate by priority within 1d\n", journeys, Event("won", "2026-03-02T10:00:00Z"));
  EXPECT_EQ(Count(out, R"("decision":"action")"), 2u) << out;
}

TEST(ContactBudget, UncoveredTasksAndNotificationsAreNeverHeld) {
  const std::string journeys = R"(
journey busy {
  reentry always
  on won
  task hcp.rep "Plain task"
  notify hcp.rep "FYI"
  send email "hello"
}
)";
  // `cap email` does not cover tasks; `cap task` covers the task, never the
  // notification.
  std::string out = Decide("  cap email 1 per 7d\n", journeys,
                        Event("won", "2026-03-02T10:00:00Z") + Event("won", "2026-03-03T10:00:00Z"));
  EXPECT_EQ(Count(out, R"("kind":"task","text":"Plain task")"), 2u) << out;
  EXPECT_EQ(Count(out, R"("decision":"suppressed")"), 1u) << out;
  out = Decide("  cap task 1 per 7d\n", journeys,
            Event("won", "2026-03-02T10:00:00Z") + Event("won", "2026-03-03T10:00:00Z"));
  EXPECT_EQ(Count(out, R"("decision":"suppressed","journey":"busy","version":1,"customer":"h1","step":"task@)"), 1u)
      << out;
  EXPECT_EQ(Count(out, R"("kind":"notify","text":"FYI")"), 2u) << out;
  EXPECT_EQ(Count(out, R"("template":"hello")"), 2u) << out;
}

}  // namespace
}  // namespace tutti::runtime
