// What a decision keeps so that it can be explained (GET
// /v1/decisions/{key}/why): the input that caused it, the input that
// started its instance, the choices the instance made on the way (split
// arms, `if` arms, `choose best` scores, how waits ended) and the contact
// policy's rules it passed. Kept across a snapshot.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/simulate/simulation.h"
#include "tests/runtime/engine_fixture.h"

namespace tutti::runtime {
namespace {

constexpr const char* kExplainedJourneys = R"(profile hcp { id: string key  decile: int  timezone: string }
event launch keyed by hcp { hcp: string }
event opened keyed by hcp { hcp: string }
channel email { kind message  to hcp }
channel sms { kind message  to hcp }
policy contact {
  cap email 2 per 7d
}
journey launch_mail {
  on launch
  split {
    50% a -> send email "intro-a"
    50% b -> send email "intro-b"
  }
  wait up to 2d for opened
    then {
      if hcp.decile >= 5 {
        choose best by (option == "sms" ? 2.5 : 1.0) {
          email -> send email "follow-up"
          sms -> send sms "follow-up"
        }
      } else {
        send email "thanks"
      }
    }
    timeout {
      choose best by -1.0 {
        email -> send email "reminder"
        otherwise -> send email "never"
      }
    }
}
)";

class Explanations : public ::testing::Test {
 protected:
  Explanations() : f_(std::vector<std::pair<std::string, std::string>>{{"p.tutti", kExplainedJourneys}}) {}

  std::vector<Decision> Decide(const std::string& events, bool save_between = false) {
    auto engine = f_.set().NewEngine();
    auto profiles = f_.Decode(R"({"type": "hcp", "id": "h1", "decile": 7, "timezone": "UTC"})" "\n"
                              R"({"type": "hcp", "id": "h2", "decile": 2, "timezone": "UTC"})" "\n",
                              Accept::kProfiles);
    std::vector<Record> in = f_.Decode(events, Accept::kEvents);
    if (!save_between) return Simulate(*engine, profiles, in, std::nullopt).decisions;
    // The launches, a snapshot taken and restored, then the rest.
    for (const Record& p : profiles) engine->UpsertProfile(p);
    std::vector<Decision> out;
    for (size_t i = 0; i < in.size(); ++i) {
      if (i == 2) {
        std::string bytes = engine->Save();
        engine = f_.set().NewEngine();
        EXPECT_TRUE(engine->Restore(bytes).ok());
      }
      engine->Ingest(in[i]);
    }
    while (auto due = engine->NextDue()) engine->AdvanceTo(*due);
    engine->Flush();
    for (Decision& d : engine->TakeDecisions()) out.push_back(std::move(d));
    return out;
  }

  static const Decision& Find(const std::vector<Decision>& all, const std::string& customer,
                              const std::string& content) {
    for (const Decision& d : all)
      if (d.customer == customer && d.content == content) return d;
    static const Decision kNone;
    ADD_FAILURE() << "no decision sends '" << content << "' to " << customer;
    return kNone;
  }

  const compiler::ir::Journey& Journey(const std::string& name) const {
    return f_.ir().journeys[static_cast<size_t>(f_.ir().Index(name))];
  }

  testing::EngineFixture f_;
};

constexpr const char* kExplainedEvents =
    R"({"type": "launch", "hcp": "h1", "at": "2026-03-02T10:00:00Z"})" "\n"
    R"({"type": "launch", "hcp": "h2", "at": "2026-03-02T10:00:00Z"})" "\n"
    R"({"type": "opened", "hcp": "h1", "at": "2026-03-03T09:00:00Z"})" "\n";

TEST_F(Explanations, AnActionNamesItsInputsAndTheChoicesBehindIt) {
  for (bool save : {false, true}) {
    SCOPED_TRACE(save ? "restored from a snapshot mid-way" : "one engine");
    std::vector<Decision> all = Decide(kExplainedEvents, save);
    const Decision& d = Find(all, "h1", "follow-up");
    EXPECT_EQ(d.channel, "sms");  // the higher score
    EXPECT_EQ(d.cause, "opened");
    EXPECT_EQ(d.input, std::optional<uint64_t>(3));       // the line of the `opened` event
    EXPECT_EQ(d.entered_by, std::optional<uint64_t>(1));  // the line of h1's launch
    ASSERT_EQ(d.choices.size(), 4u);
    nlohmann::ordered_json trail = ChoicesJson(d.choices, Journey("launch_mail"));
    EXPECT_TRUE(trail[0]["took"] == "a" || trail[0]["took"] == "b") << trail.dump();
    EXPECT_EQ(trail[0]["step"], "split@11");
    EXPECT_EQ(trail[1].dump(), R"({"at":"2026-03-03T09:00:00Z","step":"wait@15","took":"event","input":3})");
    EXPECT_EQ(trail[2]["took"], "hcp.decile >= 5");
    EXPECT_EQ(trail[3]["took"], "sms");
    EXPECT_EQ(trail[3]["scores"].dump(), R"({"email":1.0,"sms":2.5})");
    // The split's first e-mail counted against the cap; the sms has none.
    const Decision& intro = all.front().customer == "h1" ? all[0] : all[1];
    ASSERT_EQ(intro.checks.size(), 1u);
    EXPECT_EQ(CheckText(intro.checks[0]), "cap email 2 per 7d (p.tutti:7:3): 0 of 2 used before this one");
    EXPECT_TRUE(d.checks.empty());
  }
}

TEST_F(Explanations, ATimerHasNoInputAndAChoiceNoOptionWonIsNamed) {
  std::vector<Decision> all = Decide(kExplainedEvents);
  const Decision& d = Find(all, "h2", "never");
  EXPECT_EQ(d.cause, "timer");
  EXPECT_FALSE(d.input.has_value());
  EXPECT_EQ(d.entered_by, std::optional<uint64_t>(2));
  nlohmann::ordered_json trail = ChoicesJson(d.choices, Journey("launch_mail"));
  ASSERT_EQ(trail.size(), 3u);
  EXPECT_EQ(trail[1].dump(), R"({"at":"2026-03-04T10:00:00Z","step":"wait@15","took":"timeout"})");
  // Every option scored below 0: `otherwise`.
  EXPECT_EQ(trail[2].dump(), R"({"at":"2026-03-04T10:00:00Z","step":"choose@27","took":"none","scores":{"email":-1.0}})");
  std::string line = ToJson(d);
  EXPECT_NE(line.find(R"("cause":"timer","entered_by":2,)"), std::string::npos) << line;
}

TEST_F(Explanations, AnInstanceKeepsOnlyItsLatestChoices) {
  const char* looping = R"(profile hcp { id: string key }
event ping keyed by hcp { hcp: string }
channel email { kind message  to hcp }
journey many {
  on ping
)";
  std::string text = looping;
  for (int i = 0; i < 20; ++i) text += "  if true { let x" + std::to_string(i) + " = 1 }\n";
  text += "  send email \"last\"\n}\n";
  testing::EngineFixture f(std::vector<std::pair<std::string, std::string>>{{"p.tutti", text}});
  auto engine = f.set().NewEngine();
  std::vector<Decision> out =
      Simulate(*engine, f.Decode(R"({"type": "hcp", "id": "h1"})" "\n", Accept::kProfiles),
               f.Decode(R"({"type": "ping", "hcp": "h1", "at": "2026-03-02T10:00:00Z"})" "\n", Accept::kEvents),
               std::nullopt)
          .decisions;
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].choices.size(), JourneyInstance::kMaxChoices);
  // The 20 ifs are on lines 6 to 25: the first 4 are dropped, the last kept.
  nlohmann::ordered_json trail = ChoicesJson(out[0].choices, f.set().ir().journeys[0]);
  EXPECT_EQ(trail.front()["step"], "if@10") << trail.dump();
  EXPECT_EQ(trail.back()["step"], "if@25") << trail.dump();
}

}  // namespace
}  // namespace tutti::runtime
