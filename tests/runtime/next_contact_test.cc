// Engine::NextContacts: when the contact policy would next let a new
// message through each channel reach a prescriber, worked out by hand:
// a cap full until its first send leaves the window, consent not given,
// quiet hours in the prescriber's time zone, and a channel nothing holds.

#include <string>

#include <gtest/gtest.h>

#include "tests/runtime/engine_fixture.h"

namespace tutti::runtime {
namespace {

constexpr const char* kNextContactProgram = R"(
profile hcp { id: string key  consent: set<string>  timezone: string }
event launch keyed by hcp { hcp: string }
channel email { kind message  to hcp  consent "email" }
channel sms { kind message  to hcp  consent "sms" }
channel rep_task { kind task  to hcp }

policy contact {
  require consent
  quiet_hours 20:00-08:00 local for [email, sms]
  cap [email] 2 per 7d
}

journey mail {
  reentry always
  on launch
  send email "launch"
}
)";

std::map<std::string, Engine::NextContact> NextContacts(Engine& engine, const std::string& id) {
  uint32_t customer = *engine.store().FindCustomer(*engine.ProfileId("hcp"), id);
  std::map<std::string, Engine::NextContact> out;
  for (Engine::NextContact& n : engine.NextContacts(customer)) out[n.channel] = std::move(n);
  return out;
}

TEST(NextContact, CapsConsentAndQuietHoursEachSayWhenAndWhy) {
  testing::EngineFixture f(std::vector<std::pair<std::string, std::string>>{{"p.tutti", kNextContactProgram}});
  auto engine = f.set().NewEngine();
  // Both in New York (UTC-5 until 8 March 2026, UTC-4 after).
  for (const Record& p : f.Decode(R"({"type": "hcp", "id": "h1", "consent": ["email"], "timezone": "America/New_York"}
{"type": "hcp", "id": "h2", "consent": ["email", "sms"], "timezone": "America/New_York"}
)",
                                  Accept::kProfiles))
    engine->UpsertProfile(p);
  // Two e-mails to h1, at 10:00 in New York on 2 and 4 March: the cap is full.
  for (const Record& e : f.Decode(R"({"type": "launch", "hcp": "h1", "at": "2026-03-02T15:00:00Z"}
{"type": "launch", "hcp": "h1", "at": "2026-03-04T15:00:00Z"}
)",
                                  Accept::kEvents))
    engine->Ingest(e);
  // 22:00 in New York on 4 March: quiet hours.
  engine->AdvanceTo(*ParseInstant("2026-03-05T03:00:00Z"));

  auto h1 = NextContacts(*engine, "h1");
  ASSERT_EQ(h1.size(), 3u);
  // The first e-mail leaves the week at 15:00 UTC on 9 March (11:00 in New
  // York, daylight time by then): outside quiet hours.
  ASSERT_TRUE(h1["email"].at);
  EXPECT_EQ(FormatInstant(*h1["email"].at), "2026-03-09T15:00:00Z");
  ASSERT_NE(h1["email"].rule, nullptr);
  EXPECT_EQ(h1["email"].rule->text, "cap [email] 2 per 7d");
  EXPECT_NE(h1["email"].reason.find("already contacted 2 times"), std::string::npos) << h1["email"].reason;
  // No consent for SMS: not as things stand.
  EXPECT_FALSE(h1["sms"].at);
  ASSERT_NE(h1["sms"].rule, nullptr);
  EXPECT_EQ(h1["sms"].rule->text, "require consent");
  // A task channel nothing covers: now.
  ASSERT_TRUE(h1["rep_task"].at);
  EXPECT_EQ(*h1["rep_task"].at, engine->now());
  EXPECT_EQ(h1["rep_task"].rule, nullptr);

  // h2 has had nothing: quiet hours end at 08:00 in New York, 13:00 UTC.
  auto h2 = NextContacts(*engine, "h2");
  for (const char* channel : {"email", "sms"}) {
    ASSERT_TRUE(h2[channel].at) << channel;
    EXPECT_EQ(FormatInstant(*h2[channel].at), "2026-03-05T13:00:00Z") << channel;
    ASSERT_NE(h2[channel].rule, nullptr);
    EXPECT_EQ(h2[channel].reason, "quiet hours");
  }
}

TEST(NextContact, BeforeAnyInputThereIsNoTimeToCountFrom) {
  testing::EngineFixture f(std::vector<std::pair<std::string, std::string>>{{"p.tutti", kNextContactProgram}});
  auto engine = f.set().NewEngine();
  for (const Record& p : f.Decode(R"({"type": "hcp", "id": "h1", "consent": ["email"], "timezone": "UTC"})" "\n",
                                  Accept::kProfiles))
    engine->UpsertProfile(p);
  for (const auto& [channel, n] : NextContacts(*engine, "h1")) {
    EXPECT_FALSE(n.at) << channel;
    EXPECT_EQ(n.reason, "no input has set the engine's time yet") << channel;
  }
}

}  // namespace
}  // namespace tutti::runtime
