// History pages end to end: entries carry the event's fields, the action's
// template, step and version, and the sends held back or put off with
// their rule and reason; a daemon killed again and again, with snapshots
// and the log before them dropped, ends with exactly the history of one
// that never stopped; a data folder from before the journal shows its
// earlier entries from the engine, each once; and with `history_details`
// off the pages are the engine's, and turned on again the journal starts
// afresh.

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/daemon/daemon_fixture.h"

namespace {

using namespace tutti::testing;
namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kCastillo = "/v1/customers/hcp-empire-00017/history?profile=hcp";
constexpr const char* kEmpire = "/v1/accounts/empire-health/history";

/// The first entry of `history` of `kind` (and `name`, when given).
Json First(const Json& history, const std::string& kind, const std::string& name = "") {
  for (const Json& h : history)
    if (h["kind"] == kind && (name.empty() || h["name"] == name)) return h;
  return Json();
}

TEST(History, EntriesSayWhatHappenedWithItsDetails) {
  fs::path dir = FreshDir("history-details");
  Daemon d(dir / "data");
  PlayTheScenario(d, dir);
  Json castillo = AllHistory(d, kCastillo, 1000);
  // An event with its fields, as it came in.
  Json rx = First(castillo, "event", "rx_written");
  ASSERT_FALSE(rx.is_null()) << castillo.dump();
  EXPECT_EQ(rx["fields"]["prescriber"], "hcp-empire-00017");
  EXPECT_TRUE(rx["fields"].contains("plan"));
  EXPECT_TRUE(rx["input"].is_number());
  // An action with the template sent, the journey's version and step.
  Json email = First(castillo, "action", "email");
  ASSERT_FALSE(email.is_null());
  EXPECT_EQ(email["journey"], "glidim_email_nurture");
  EXPECT_EQ(email["version"], 3);
  EXPECT_EQ(email["template"], "glidim-formulary-intro");
  EXPECT_EQ(email["approval"], "MLR-GLD-2026-014");
  EXPECT_EQ(email["step"], "send@26");
  EXPECT_FALSE(email["idempotency_key"].get<std::string>().empty());
  // A send the contact policy held back, with the rule and why.
  Json held = First(castillo, "suppressed");
  ASSERT_FALSE(held.is_null());
  EXPECT_EQ(held["rule"], "cap email 2 per 7d");
  EXPECT_EQ(held["rule_at"], "std/policy.tutti:19:3");
  EXPECT_NE(held["reason"].get<std::string>().find("already contacted 2 times"), std::string::npos);
  // The account gathers its prescribers' entries, deferrals included.
  Json deferred = AllHistory(d, std::string(kEmpire) + "?kind=deferred", 100);
  ASSERT_FALSE(deferred.empty());
  for (const Json& h : deferred) {
    EXPECT_EQ(h["kind"], "deferred");
    EXPECT_TRUE(h.contains("until") && h.contains("customer")) << h.dump();
    EXPECT_NE(h["rule"].get<std::string>().find("quiet_hours"), std::string::npos);
  }
  // Filters by channel and journey see every kind that names them.
  for (const Json& h : AllHistory(d, std::string(kEmpire) + "?channel=email&journey=glidim_email_nurture", 50)) {
    EXPECT_EQ(h["name"], "email");
    EXPECT_EQ(h["journey"], "glidim_email_nurture");
  }
  EXPECT_EQ(d.Curl("GET", std::string(kEmpire) + "?kind=held").substr(0, 3), "400");
  EXPECT_EQ(d.Curl("GET", std::string(kEmpire) + "?cursor=jzz").substr(0, 3), "400");
  EXPECT_EQ(d.Curl("GET", std::string(kEmpire) + "?cursor=jabc").substr(0, 3), "400");
  // Small pages and one large one hold the same entries.
  EXPECT_EQ(AllHistory(d, kEmpire, 60), AllHistory(d, kEmpire, 1000));
}

TEST(History, CrashesAndSnapshotsLeaveTheHistoryOfARunThatNeverStopped) {
  fs::path dir = FreshDir("history-crash");
  Json castillo, empire;
  {
    Daemon d(dir / "calm");
    PlayTheScenario(d, dir);
    castillo = AllHistory(d, kCastillo, 1000);
    empire = AllHistory(d, kEmpire, 1000);
  }
  std::ofstream(dir / "config.json") << R"({"snapshot_every": 20, "tick_milliseconds": 20})";
  std::vector<std::string> config = {"--config", (dir / "config.json").string()};
  const size_t cuts[] = {0, 30, 55, 75, 140, 141, 200, kEvents};
  for (size_t i = 0; i + 1 < std::size(cuts); ++i) {
    Daemon d(dir / "data", config);
    std::string r = d.Curl("POST", "/v1/events", EventSlice(dir, cuts[i], cuts[i + 1]));
    ASSERT_EQ(r.substr(0, 3), "200") << r;
    if (i % 2 == 1) {
      d.WaitIdle();
      WaitForSnapshots(d, 1);
    }
    // Some stops are clean: their snapshot holds the sends of the last
    // instant, still waiting for the contact policy's verdict.
    d.Kill(i % 3 == 2 ? SIGTERM : SIGKILL);
  }
  Daemon d(dir / "data", config);
  ASSERT_EQ(d.Curl("POST", "/v1/clock", "", kClockToTheEnd).substr(0, 3), "200");
  d.WaitIdle();
  EXPECT_EQ(AllHistory(d, kCastillo, 1000), castillo);
  EXPECT_EQ(AllHistory(d, kEmpire, 1000), empire);
}

TEST(History, AFolderFromBeforeTheJournalShowsItsEarlierEntriesFromTheEngine) {
  fs::path dir = FreshDir("history-upgrade");
  std::ofstream(dir / "config.json") << R"({"snapshot_every": 50, "tick_milliseconds": 20})";
  std::vector<std::string> config = {"--config", (dir / "config.json").string()};
  Json calm;
  {
    Daemon d(dir / "calm", config);
    PlayTheScenario(d, dir);
    calm = AllHistory(d, kEmpire, 1000);
  }
  {
    Daemon d(dir / "data", config);
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, 120)).substr(0, 3), "200");
    d.WaitIdle();
    WaitForSnapshots(d, 1);
    EXPECT_EQ(d.Kill(SIGTERM), 0);
  }
  // As an older tutti left it: no journal.
  fs::remove_all(dir / "data" / "history");
  Daemon d(dir / "data", config);
  ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 120, kEvents)).substr(0, 3), "200");
  ASSERT_EQ(d.Curl("POST", "/v1/clock", "", kClockToTheEnd).substr(0, 3), "200");
  d.WaitIdle();
  Json empire = AllHistory(d, kEmpire, 97);
  // The same events and actions; the earlier ones with what the engine
  // keeps (time, kind, name, customer, journey and version), first; the
  // later ones as the journal of a calm run has them.
  auto summary = [](const Json& h) {
    return h["at"].dump() + h["kind"].dump() + h["name"].dump() + h["customer"].dump();
  };
  std::vector<std::string> was, is;
  for (const Json& h : calm)
    if (h["kind"] == "event" || h["kind"] == "action") was.push_back(summary(h));
  std::vector<std::string> calm_lines;
  for (const Json& h : calm) calm_lines.push_back(h.dump());
  std::sort(calm_lines.begin(), calm_lines.end());
  size_t basic = 0;
  for (const Json& h : empire) {
    bool rich = h.contains("fields") || h.contains("step");
    if (!rich) EXPECT_EQ(basic++, &h - &empire[0]) << "an entry from the engine after one from the journal";
    else EXPECT_TRUE(std::binary_search(calm_lines.begin(), calm_lines.end(), h.dump())) << h.dump();
    if (h["kind"] == "event" || h["kind"] == "action") is.push_back(summary(h));
  }
  std::sort(was.begin(), was.end());
  std::sort(is.begin(), is.end());
  EXPECT_EQ(is, was);
  EXPECT_GT(basic, 100u);
  EXPECT_GT(empire.size() - basic, 100u);
}

TEST(History, WithoutDetailsPagesShowTheEnginesEntriesAndTurnedOnAgainTheJournalStartsAfresh) {
  fs::path dir = FreshDir("history-off");
  std::ofstream(dir / "off.json") << R"({"history_details": false})";
  {
    Daemon d(dir / "data", {"--config", (dir / "off.json").string()});
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, 150)).substr(0, 3), "200");
    d.WaitIdle();
    Json castillo = AllHistory(d, kCastillo, 1000);
    ASSERT_FALSE(castillo.empty());
    for (const Json& h : castillo) {
      EXPECT_FALSE(h.contains("fields") || h.contains("step")) << h.dump();
      EXPECT_TRUE(h["kind"] == "event" || h["kind"] == "action") << h.dump();
    }
    EXPECT_FALSE(fs::exists(dir / "data" / "history"));
    EXPECT_EQ(d.Kill(SIGTERM), 0);
  }
  Daemon d(dir / "data");
  ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 150, kEvents)).substr(0, 3), "200");
  ASSERT_EQ(d.Curl("POST", "/v1/clock", "", kClockToTheEnd).substr(0, 3), "200");
  d.WaitIdle();
  // What came before is the engine's; what came after, the journal's.
  Json castillo = AllHistory(d, kCastillo, 1000);
  bool rich = false;
  for (const Json& h : castillo) {
    bool has_details = h.contains("fields") || h.contains("step");
    EXPECT_TRUE(has_details || !rich) << h.dump();
    rich = rich || has_details;
  }
  EXPECT_TRUE(rich);
}

}  // namespace
