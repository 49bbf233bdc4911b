// Hot reload, end to end: POST /v1/journeys/reload, SIGHUP and a restart on
// changed journeys take the new version on while instances already running
// finish on theirs; journeys that do not check, or records that changed
// layout, leave the running version in place; a log with reloads in it
// replays to the same state after SIGKILL.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/daemon/daemon_fixture.h"

namespace {

using namespace tutti::testing;
namespace fs = std::filesystem;
using Json = nlohmann::json;

/// Replaces the first match of `pattern` in `file` with `with`.
void Edit(const fs::path& file, const std::string& pattern, const std::string& with) {
  std::string text = ReadFile(file);
  std::string edited = std::regex_replace(text, std::regex(pattern), with, std::regex_constants::format_first_only);
  ASSERT_NE(edited, text) << pattern << " not found in " << file;
  std::ofstream(file, std::ios::trunc) << edited;
}

/// A copy of the repository's journeys to edit.
fs::path CopyJourneys(const fs::path& dir) {
  fs::copy(Source("journeys"), dir / "journeys", fs::copy_options::recursive);
  return dir / "journeys";
}

/// The body of a "STATUS BODY" reply, parsed.
Json Body(const std::string& reply) { return Json::parse(reply.substr(reply.find(' ') + 1), nullptr, false); }

/// The journeys listing: "name status active" per line, for comparisons.
std::string Listing(Daemon& d) {
  std::string out;
  Json listed1 = d.GetJson("/v1/journeys");
  for (const Json& j : listed1["journeys"])
    out += j["name"].get<std::string>() + " " + j["status"].get<std::string>() + " " + j["active"].dump() + " " +
           j["entered"].dump() + "\n";
  return out;
}

/// Posts the rest of the reference scenario (from event 130) and moves the
/// clock to June; the action log once all is applied.
Json FinishTheScenario(Daemon& d, const fs::path& dir) {
  EXPECT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 130, kEvents)).substr(0, 3), "200");
  std::ofstream(dir / "later.json") << R"({"to": "2026-06-01T00:00:00Z"})";
  EXPECT_EQ(d.Curl("POST", "/v1/clock", (dir / "later.json").string()).substr(0, 3), "200");
  d.WaitIdle();
  return d.GetJson("/v1/actions?limit=100000")["actions"];
}

/// Kills `d` and starts it again on its data: the journeys and the
/// actions (by idempotency key) are what they were.
void ExpectAReplayAgrees(Daemon& d, const fs::path& dir, const fs::path& journeys, const Json& actions) {
  std::string before = Listing(d);
  d.Kill(SIGKILL);
  Daemon again(dir / "data", {}, journeys.string());
  EXPECT_EQ(Listing(again), before);
  Json replayed = again.GetJson("/v1/actions?limit=100000")["actions"];
  ASSERT_EQ(replayed.size(), actions.size());
  for (size_t i = 0; i < actions.size(); ++i) EXPECT_EQ(replayed[i]["idempotency_key"], actions[i]["idempotency_key"]);
}

TEST(Reload, NewVersionTakesOverWhileRunningInstancesFinishOnTheirsAndAReplayAgrees) {
  fs::path dir = FreshDir("reload");
  fs::path journeys = CopyJourneys(dir);
  Daemon d(dir / "data", {}, journeys.string());
  ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, 130)).substr(0, 3), "200");
  std::string fingerprint = d.GetJson("/v1/journeys")["fingerprint"];

  // Reloading what runs changes nothing.
  Json same = Body(d.Curl("POST", "/v1/journeys/reload"));
  EXPECT_EQ(same["status"], "unchanged") << same.dump();

  int active = 0;
  Json listed2 = d.GetJson("/v1/journeys");
  for (const Json& j : listed2["journeys"]) active += j["active"].get<int>();
  Edit(journeys / "glidim_email_nurture.tutti", "priority 60", "priority 61");
  std::string r = d.Curl("POST", "/v1/journeys/reload");
  ASSERT_EQ(r.substr(0, 3), "200") << r;
  Json report = Body(r);
  EXPECT_EQ(report["status"], "reloaded");
  EXPECT_EQ(report["changed"], Json::array({"glidim_email_nurture"}));
  EXPECT_TRUE(report["added"].empty() && report["removed"].empty());
  EXPECT_EQ(report["unchanged"].size(), 10u);
  // The priority changed, the written version did not: said, not refused.
  EXPECT_EQ(report["version_not_raised"], Json::array({"glidim_email_nurture"}));
  ASSERT_EQ(report["warnings"].size(), 1u) << report.dump();
  EXPECT_NE(report["warnings"][0].get<std::string>().find("kept its version number"), std::string::npos);
  EXPECT_GT(report["instances_finishing_on_their_version"].get<int>(), 0) << report.dump();
  EXPECT_EQ(report["instances_carried_over"].get<int>() + report["instances_finishing_on_their_version"].get<int>(),
            active);
  Json listing = d.GetJson("/v1/journeys");
  EXPECT_NE(listing["fingerprint"], fingerprint);
  int versions = 0;
  std::set<std::string> ids;  // same written number, told apart by content
  for (const Json& j : listing["journeys"])
    if (j["name"] == "glidim_email_nurture") {
      ++versions;
      EXPECT_EQ(j["priority"], j["status"] == "retired" ? 60 : 61) << j.dump();
      EXPECT_EQ(j["version"], 3);
      ids.insert(j["version_id"].get<std::string>());
    }
  EXPECT_EQ(versions, 2) << "the retired version is listed while its instances finish";
  EXPECT_EQ(ids.size(), 2u);

  Json actions = FinishTheScenario(d, dir);
  EXPECT_GT(actions.size(), 100u);
  // Every retired instance finished on its version.
  Json listed3 = d.GetJson("/v1/journeys");
  for (const Json& j : listed3["journeys"]) EXPECT_NE(j["status"], "retired") << j.dump();

  // The log holds both versions where they took over: a replay agrees.
  ExpectAReplayAgrees(d, dir, journeys, actions);
}

TEST(Reload, AMigrationMovesRunningInstancesAndAReplayAgrees) {
  fs::path dir = FreshDir("reload-migrate");
  fs::path journeys = CopyJourneys(dir);
  fs::path nurture = journeys / "glidim_email_nurture.tutti";
  Daemon d(dir / "data", {}, journeys.string());
  ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, 130)).substr(0, 3), "200");
  d.WaitIdle();
  // The running version has no labels: its waits are named by step id.
  Edit(nurture, "  wait up to 7d for email_opened", "  opened: wait up to 7d for email_opened");
  Edit(nurture, "  wait 2d\n", "  second_touch: wait 2d\n");
  Edit(nurture, "version 3", "version 4\n  migrate {\n    \"wait@99\" -> opened\n  }");
  std::string r = d.Curl("POST", "/v1/journeys/reload");
  EXPECT_EQ(r.substr(0, 3), "409") << r;
  EXPECT_NE(r.find("'migrate' names wait@99, which the running version does not have"), std::string::npos) << r;
  Edit(nurture, "\"wait@99\" -> opened", "\"wait@27\" -> opened\n    \"wait@39\" -> second_touch");
  r = d.Curl("POST", "/v1/journeys/reload");
  ASSERT_EQ(r.substr(0, 3), "200") << r;
  Json report = Body(r);
  EXPECT_EQ(report["changed"], Json::array({"glidim_email_nurture"}));
  EXPECT_TRUE(report["version_not_raised"].empty()) << report.dump();
  EXPECT_GT(report["instances_migrated"].get<int>(), 0) << report.dump();

  Json actions = FinishTheScenario(d, dir);
  size_t moved_on = 0;  // actions the new version took for instances the old one started
  for (const Json& a : actions) moved_on += a["journey"] == "glidim_email_nurture" && a["version"] == 4;
  EXPECT_GT(moved_on, 0u);

  ExpectAReplayAgrees(d, dir, journeys, actions);
}

TEST(Reload, JourneysThatDoNotCheckLeaveTheRunningVersion) {
  fs::path dir = FreshDir("reload-bad");
  fs::path journeys = CopyJourneys(dir);
  Daemon d(dir / "data", {}, journeys.string());
  std::string fingerprint = d.GetJson("/v1/journeys")["fingerprint"];
  Edit(journeys / "case_follow_up.tutti", "on case_created as c", "on case_creatd as c");
  std::string r = d.Curl("POST", "/v1/journeys/reload");
  ASSERT_EQ(r.substr(0, 3), "422") << r;
  Json refused = Body(r);
  EXPECT_NE(refused["error"].get<std::string>().find("do not check"), std::string::npos);
  EXPECT_NE(refused["diagnostics"].get<std::string>().find("case_follow_up.tutti:"), std::string::npos) << r;
  EXPECT_NE(refused["diagnostics"].get<std::string>().find("case_created"), std::string::npos) << "did you mean: " << r;
  EXPECT_EQ(d.GetJson("/v1/journeys")["fingerprint"], fingerprint);
  EXPECT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, 20)).substr(0, 3), "200");
  // Records may grow (a new profile), but what is stored cannot lack a
  // required field: refused the same way.
  Edit(journeys / "case_follow_up.tutti", "on case_creatd as c", "on case_created as c");
  std::ofstream(journeys / "extra.tutti") << "profile vendor { id: string key }\n";
  r = d.Curl("POST", "/v1/journeys/reload");
  ASSERT_EQ(r.substr(0, 3), "200") << r;
  std::ofstream(journeys / "extra.tutti") << "profile vendor { id: string key, name: string }\n";
  r = d.Curl("POST", "/v1/journeys/reload");
  ASSERT_EQ(r.substr(0, 3), "409") << r;
  EXPECT_NE(r.find("profile 'vendor' has a new field 'name' that is not optional"), std::string::npos) << r;
  std::ofstream(journeys / "extra.tutti") << "profile vendor { id: string key }\n";
  std::string metrics = d.Curl("GET", "/metrics");
  EXPECT_NE(metrics.find("tutti_reloads_total{outcome=\"refused\"} 2"), std::string::npos) << metrics;
  EXPECT_EQ(Body(d.Curl("POST", "/v1/journeys/reload"))["status"], "unchanged");
}

TEST(Reload, SighupReloads) {
  fs::path dir = FreshDir("reload-hup");
  fs::path journeys = CopyJourneys(dir);
  Daemon d(dir / "data", {}, journeys.string());
  std::string fingerprint = d.GetJson("/v1/journeys")["fingerprint"];
  Edit(journeys / "case_follow_up.tutti", "priority 90", "priority 91");
  ::kill(d.pid(), SIGHUP);
  std::string now = fingerprint;
  for (int i = 0; i < 300 && now == fingerprint; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    now = d.GetJson("/v1/journeys")["fingerprint"];
  }
  EXPECT_NE(now, fingerprint) << "SIGHUP did not reload";
  Json listed4 = d.GetJson("/v1/journeys");
  for (const Json& j : listed4["journeys"])
    if (j["name"] == "case_follow_up") EXPECT_EQ(j["priority"], 91);
}

TEST(Reload, RestartOnChangedJourneysTakesThemOn) {
  fs::path dir = FreshDir("reload-restart");
  fs::path journeys = CopyJourneys(dir);
  std::string before;
  {
    Daemon d(dir / "data", {}, journeys.string());
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, 100)).substr(0, 3), "200");
    before = d.GetJson("/v1/actions?limit=100000")["actions"].dump();
    EXPECT_EQ(d.Kill(SIGTERM), 0);
  }
  Edit(journeys / "case_follow_up.tutti", "priority 90", "priority 91");
  Daemon d(dir / "data", {}, journeys.string());
  // The log replays under the version it was written under, then the
  // edited folder takes over.
  EXPECT_EQ(d.GetJson("/v1/actions?limit=100000")["actions"].dump(), before);
  EXPECT_NE(ReadFile(dir / "data.out.err").find("the journeys changed since the last start"), std::string::npos);
  Json listed5 = d.GetJson("/v1/journeys");
  for (const Json& j : listed5["journeys"])
    if (j["name"] == "case_follow_up" && j["status"] != "retired") EXPECT_EQ(j["priority"], 91);
}

TEST(Reload, OnTheSystemClockAReplayRebuildsWhatTheLiveRunDid) {
  // The live run moves its clock between inputs without logging it (ticks,
  // the settling after each batch); a replay must still put every input,
  // profile, pause and reload at the same point. Then the actions, their
  // order and keys, are the same after a SIGKILL and a restart, and none
  // is left undelivered.
  fs::path dir = FreshDir("system-clock");
  fs::path journeys = CopyJourneys(dir);
  std::vector<std::string> args = {"--clock", "system"};
  auto snapshot = [](Daemon& d) {
    std::string out;
    Json page = d.GetJson("/v1/actions?since=0&limit=100000");
    for (const Json& a : page["actions"])
      out += a["seq"].dump() + " " + a["at"].get<std::string>() + " " + a["idempotency_key"].get<std::string>() + " " +
             a["delivery"].get<std::string>() + " " + a.value("template", a.value("text", "")) + "\n";
    return out + Listing(d);
  };
  std::string before;
  {
    Daemon d(dir / "data", args, journeys.string());
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, 60)).substr(0, 3), "200");
    // A prescriber withdraws consent right after the batch that e-mails them.
    std::string profile;
    {
      std::ifstream in(Source("examples/abc-pharma/profiles.ndjson"));
      std::string line;
      while (std::getline(in, line))
        if (line.find("\"hcp\"") != std::string::npos && line.find("\"type\": \"hcp\"") != std::string::npos) {
          Json p = Json::parse(line);
          p["consent"] = Json::array();
          profile = p.dump();
          break;
        }
    }
    ASSERT_FALSE(profile.empty());
    std::ofstream(dir / "profile.json") << profile;
    ASSERT_EQ(d.Curl("POST", "/v1/profiles", (dir / "profile.json").string()).substr(0, 3), "200");
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 60, 120)).substr(0, 3), "200");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // ticks
    ASSERT_EQ(d.Curl("POST", "/v1/journeys/glidim_email_nurture/pause").substr(0, 3), "200");
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 120, 180)).substr(0, 3), "200");
    Edit(journeys / "case_follow_up.tutti", "priority 90", "priority 91");
    ASSERT_EQ(d.Curl("POST", "/v1/journeys/reload").substr(0, 3), "200");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 180, kEvents)).substr(0, 3), "200");
    // An event dated years ahead, then one without a time.
    std::ofstream(dir / "future.json") << R"({"type": "case_created", "hcp": "hcp-empire-00017", "case_id": "c-2030", )"
                                       << R"("topic": "billing", "urgent": false, "source": "phone", "summary": "s", )"
                                       << R"("at": "2030-01-01T00:00:00Z"})";
    std::string r = d.Curl("POST", "/v1/events", (dir / "future.json").string());
    ASSERT_EQ(r.substr(0, 3), "200") << r;
    std::ofstream(dir / "now.json") << R"({"type": "case_created", "hcp": "hcp-empire-00017", "case_id": "c-now", )"
                                    << R"("topic": "billing", "urgent": false, "source": "phone", "summary": "s"})";
    ASSERT_EQ(d.Curl("POST", "/v1/events", (dir / "now.json").string()).substr(0, 3), "200");
    d.WaitIdle();
    before = snapshot(d);
    EXPECT_NE(before.find("2030-01-01T00:00:00.000000001Z"), std::string::npos)
        << "the event without a time comes after the settling of the one before it:\n" << before;
    EXPECT_NE(before.find("case-acknowledgement"), std::string::npos) << before;
    d.Kill(SIGKILL);
  }
  Daemon d(dir / "data", args, journeys.string());
  d.WaitIdle();
  EXPECT_EQ(snapshot(d), before);
  std::string metrics = d.Curl("GET", "/metrics");
  EXPECT_NE(metrics.find("\ntutti_outbox_pending 0\n"), std::string::npos) << "an action was left undelivered";
}

}  // namespace
