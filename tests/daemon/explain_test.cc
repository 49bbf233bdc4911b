// GET /v1/decisions/{idempotency_key}/why, end to end: the daemon answers,
// for an action it holds, the inputs that caused it and started its
// instance (as the input log holds them), the journey's trigger and
// audience or the journeys that start it, the instance's choices, the step,
// and the contact policy's rules it passed; the same after a restart.

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/daemon/daemon_fixture.h"

namespace tutti::testing {
namespace {

using Json = nlohmann::json;

constexpr const char* kJourneys = R"(profile hcp { id: string key  decile: int  timezone: string }
event launch keyed by hcp { hcp: string, brand: string }
event opened keyed by hcp { hcp: string }
channel email { kind message  to hcp }
channel sms { kind message  to hcp }
policy contact {
  cap email 2 per 7d
}
journey launch_mail {
  on launch as l where l.brand == "GLIDIM"
  split {
    50% a -> send email "intro-a"
    50% b -> send email "intro-b"
  }
  wait up to 2d for opened
    then {
      choose best by (option == "sms" ? 2.5 : 1.0) {
        email -> send email "follow-up"
        sms -> start sms_follow_up
      }
    }
}
journey sms_follow_up for hcp {
  send sms "follow-up"
}
)";

std::string Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

/// The action of `journey` among the daemon's actions.
Json ActionOf(Daemon& d, const std::string& journey) {
  Json page = d.GetJson("/v1/actions?limit=100");
  for (const Json& a : page["actions"])
    if (a["journey"] == journey) return a;
  ADD_FAILURE() << "no action of " << journey << " in " << d.GetJson("/v1/actions?limit=100").dump();
  return Json::object();
}

TEST(Explanations, AnActionIsExplainedFromItsInputsToThePolicy) {
  fs::path dir = FreshDir("why");
  std::string journeys = Write(dir / "journeys" / "j.tutti", kJourneys);
  std::string profiles = Write(dir / "profiles.ndjson", R"({"type": "hcp", "id": "h1", "decile": 7, "timezone": "UTC"})" "\n");
  std::string events = Write(dir / "events.ndjson",
                             R"({"type": "launch", "hcp": "h1", "brand": "GLIDIM", "at": "2026-03-02T10:00:00Z"})" "\n"
                             R"({"type": "opened", "hcp": "h1", "at": "2026-03-03T09:00:00Z"})" "\n");
  Json first_answer;
  for (int start = 0; start < 2; ++start) {
    SCOPED_TRACE(start == 0 ? "as decided" : "after a restart");
    Daemon d(dir / "data", {}, (dir / "journeys").string(), profiles);
    if (start == 0) {
      ASSERT_EQ(d.Curl("POST", "/v1/events", events).substr(0, 3), "200");
      ASSERT_EQ(d.Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-03-10T00:00:00Z\"}'").substr(0, 3), "200");
      d.WaitIdle();
    }
    Json sms = ActionOf(d, "sms_follow_up");
    std::string key = sms["idempotency_key"];
    Json why = d.GetJson("/v1/decisions/" + key + "/why");
    ASSERT_TRUE(why.is_object()) << why.dump();
    sms.erase("seq");
    sms.erase("delivery");
    EXPECT_EQ(why["action"], sms);
    // Started by the launch, through launch_mail's `start`; caused by the
    // open that ended the wait.
    EXPECT_EQ(why["entered_by"]["event"]["type"], "launch");
    EXPECT_EQ(why["entered_by"]["event"]["brand"], "GLIDIM");
    EXPECT_EQ(why["entered_by"]["at"], "2026-03-02T10:00:00Z");
    EXPECT_EQ(why["input"]["event"]["type"], "opened");
    EXPECT_EQ(why["input"]["seq"], sms["input"]);
    EXPECT_EQ(why["journey"]["started_by"], Json::array({"launch_mail (" + journeys + ":19)"}));
    EXPECT_EQ(why["step"]["text"], "send sms \"follow-up\"");
    // The e-mail: its trigger, its split arm, and the cap it passed.
    Json intro = d.GetJson("/v1/decisions/" + ActionOf(d, "launch_mail")["idempotency_key"].get<std::string>() + "/why");
    EXPECT_EQ(intro["journey"]["trigger"], "on launch where l.brand == \"GLIDIM\"");
    ASSERT_EQ(intro["choices"].size(), 1u) << intro.dump();
    EXPECT_EQ(intro["choices"][0]["step"], "split@11");
    EXPECT_EQ(intro["policy"], Json::array({"cap email 2 per 7d (" + journeys + ":7:3): 0 of 2 used before this one"}));
    EXPECT_EQ(intro["input"]["seq"], intro["entered_by"]["seq"]);
    // Unknown keys and other methods.
    EXPECT_EQ(d.Curl("GET", "/v1/decisions/0123456789abcdef/why").substr(0, 3), "404");
    EXPECT_EQ(d.Curl("POST", "/v1/decisions/" + key + "/why").substr(0, 3), "405");
    if (start == 0) first_answer = why;
    else EXPECT_EQ(why, first_answer);
    EXPECT_EQ(d.Kill(SIGTERM), 0);
  }
}

}  // namespace
}  // namespace tutti::testing
