// The console against a real `tutti serve` playing the reference scenario:
// its files are served with their policy and nothing else is; the journey
// diagram's counts are the engine's; and in a real browser (Debian's
// chromium, headless, driven by console/tests/browse.mjs with puppeteer-core)
// every page loads with no error and no accessibility violation (axe-core),
// shows the API's numbers, and a click from a prescriber's action reaches
// its explanation. Screenshots land in the build tree, and with
// TUTTI_UPDATE_SCREENSHOTS=1 in docs/console/ (linked from docs/console.md).

#include <cstdlib>
#include <set>
#include <thread>

#include "tests/cluster/mock_cluster.h"
#include "tests/daemon/cluster_fixture.h"
#include "tests/daemon/daemon_fixture.h"

namespace tutti::testing {
namespace {

/// The reference scenario, played to its end on `d`.
void PlayTheScenario(Daemon& d) {
  const std::string ndjson = "-H 'Content-Type: application/x-ndjson'";
  ASSERT_EQ(d.Curl("POST", "/v1/events", Source("examples/abc-pharma/events.ndjson"), ndjson).substr(0, 3), "200");
  std::string r = d.Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-04-30T00:00:00Z\"}'");
  ASSERT_EQ(r.substr(0, 3), "200") << r;
  d.WaitIdle();
}

/// Runs console/tests/browse.mjs against `d`, screenshots to `shots`: what
/// it saw (its report), or fails.
Json Browse(Daemon& d, const fs::path& shots, const fs::path& dir) {
  fs::create_directories(shots);
  std::string out = Shell("node " + Source("console/tests/browse.mjs") + " --url http://127.0.0.1:" +
                          std::to_string(d.port()) + " --out " + shots.string() + " --chromium " + CHROMIUM_BINARY +
                          " 2>" + (dir / "browse.err").string());
  Json seen = Json::parse(out, nullptr, false);
  EXPECT_TRUE(seen.is_object()) << out.substr(0, 500) << ReadFile(dir / "browse.err").substr(0, 2000);
  return seen.is_object() ? seen : Json::object();
}

/// Every page: no console error, uncaught exception or failed request; no
/// accessibility violation; nothing wider than a laptop's screen. The
/// pages' names.
std::set<std::string> ExpectEveryPageClean(const Json& seen) {
  std::set<std::string> pages;
  for (const Json& page : seen.value("pages", Json::array())) {
    std::string name = page["name"];
    pages.insert(name);
    EXPECT_TRUE(page["problems"].empty()) << name << ": " << page["problems"].dump();
    EXPECT_TRUE(page["axe"].empty()) << name << ": " << page["axe"].dump();
    EXPECT_FALSE(page.value("overflow", false)) << name << " is wider than 1366 px";
    EXPECT_TRUE(page.value("alerts", Json::array()).empty()) << name << ": " << page.value("alerts", Json::array()).dump();
    EXPECT_TRUE(fs::exists(page["screenshot"].get<std::string>())) << name;
  }
  return pages;
}

/// 3091 -> "3,091", as the console writes counts.
std::string Grouped(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

/// The journeys page's rows show `api`'s (/v1/journeys) figures.
void ExpectTheJourneysRows(const Json& page, const Json& api) {
  std::map<std::string, Json> by_name;
  for (const Json& j : api["journeys"]) by_name[j["name"]] = j;
  ASSERT_EQ(page["rows"].size(), api["journeys"].size());
  for (const Json& row : page["rows"]) {
    const Json& j = by_name[row[0].get<std::string>()];
    EXPECT_EQ(row[3], Grouped(j["entered"])) << row.dump();
    EXPECT_EQ(row[4], Grouped(j["active"])) << row.dump();
    EXPECT_EQ(row[7], Grouped(j["goals"])) << row.dump();
  }
}

/// "Header: value" of a `curl -i` answer, lower-cased name; empty if absent.
std::string Header(const std::string& answer, const std::string& name) {
  std::istringstream lines(answer);
  for (std::string line; std::getline(lines, line) && line != "\r";) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key == name) return line.substr(colon + 2, line.size() - colon - 3);
  }
  return "";
}

TEST(Console, ItsFilesAreServedWithTheirPolicyAndNothingElseIs) {
  fs::path dir = FreshDir("console-files");
  Daemon d(dir / "data", {}, Source("journeys"), "");
  std::string index = d.Curl("GET", "/console/", "", "-i");
  EXPECT_EQ(index.substr(0, 3), "200");
  EXPECT_NE(index.find("<title>Tutti console</title>"), std::string::npos);
  EXPECT_EQ(Header(index.substr(4), "content-type"), "text/html; charset=utf-8");
  EXPECT_NE(Header(index.substr(4), "content-security-policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(Header(index.substr(4), "x-content-type-options"), "nosniff");
  // The layout library comes from the binary, not from a CDN.
  std::string dagre = d.Curl("GET", "/console/vendor/dagre.min.js", "", "-i");
  EXPECT_EQ(dagre.substr(0, 3), "200");
  EXPECT_EQ(Header(dagre.substr(4), "content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(d.Curl("GET", "/", "", "-i").substr(0, 3), "302");
  // Only the files built in: no path is resolved against a folder.
  for (const char* path : {"/console/nothing.js", "/console/..%2F..%2Fetc%2Fpasswd", "/console/vendor/..%2Fapp.js",
                           "/console/web/app.js"})
    EXPECT_EQ(d.Curl("GET", path).substr(0, 3), "404") << path;
  EXPECT_EQ(d.Curl("POST", "/console/app.js", "", "-d '{}'").substr(0, 3), "405");
  EXPECT_EQ(d.Kill(SIGTERM), 0);
}

TEST(Console, TheJourneyDiagramCarriesTheEnginesCounts) {
  fs::path dir = FreshDir("console-graph");
  Daemon d(dir / "data");
  PlayTheScenario(d);
  Json journeys = d.GetJson("/v1/journeys");
  ASSERT_TRUE(journeys["journeys"].is_array());
  for (const Json& j : journeys["journeys"]) {
    std::string name = j["name"];
    Json graph = d.GetJson("/v1/journeys/" + name + "/graph");
    ASSERT_EQ(graph["version"], j["version"]) << name;
    int entries = 0, steps = 0;
    std::map<std::string, const Json*> nodes;
    for (const Json& n : graph["nodes"]) {
      nodes[n["id"]] = &n;
      if (n.contains("entered")) {
        EXPECT_EQ(n["entered"], j["entered"]) << name;
        ++entries;
      }
      if (n.contains("step")) {
        ++steps;
        const Json& step = j["steps"][n["step"].get<std::string>()];
        EXPECT_EQ(n["reached"], step["reached"]) << name << " " << n["step"];
        EXPECT_EQ(n["waiting_now"], step["waiting_now"]) << name << " " << n["step"];
      }
      if (n["label"] == "end") EXPECT_EQ(n["completed"], j["completed"]) << name;
      if (n["label"] == "exit") EXPECT_EQ(n["exited"], j["exited"]) << name;
    }
    EXPECT_EQ(entries, 1) << name;
    // Every step is drawn once, but an `end`: an edge into the "end" node.
    int drawn = 0;
    for (const auto& [id, step] : j["steps"].items()) drawn += id.rfind("end@", 0) != 0;
    EXPECT_EQ(steps, drawn) << name;
    // The ways out of a `choose best` or a split: the experiments' arms.
    for (const Json& x : j["experiments"]) {
      int64_t shown = 0, counted = 0;
      for (const Json& arm : x["arms"]) counted += arm["customers"].get<int64_t>();
      for (const Json& e : graph["edges"]) {
        const Json* from = nodes[e["from"]];
        if (from && (*from).value("step", "") == x["step"] && e.contains("customers"))
          shown += e["customers"].get<int64_t>();
      }
      EXPECT_EQ(shown, counted) << name << " " << x["step"];
    }
  }
  // The scenario's story: the formulary win reached all 3,091 of the plan's prescribers.
  Json win = d.GetJson("/v1/journeys/glidim_formulary_win/graph");
  EXPECT_EQ(win["nodes"][0]["entered"], 3091);
  EXPECT_EQ(d.Curl("GET", "/v1/journeys/no_such_journey/graph").substr(0, 3), "404");
  EXPECT_EQ(d.Curl("GET", "/v1/journeys/glidim_formulary_win/graph?version=0").substr(0, 3), "400");
  EXPECT_EQ(d.Kill(SIGTERM), 0);
}

TEST(Console, ADryRunIsServedWithItsConsole) {
  // tutti simulate --serve: the decisions on stdout as without it, then the
  // same run served until SIGTERM, its data folder removed after.
  fs::path dir = FreshDir("console-dry-run");
  std::string out = (dir / "decisions.ndjson").string(), err = (dir / "simulate.err").string();
  std::vector<std::string> args = {TuttiBinary(), "simulate", "--journeys", Source("journeys"), "--profiles",
                                   Source("examples/abc-pharma/profiles.ndjson"), "--events",
                                   Source("examples/abc-pharma/events.ndjson"), "--until", "2026-04-30T00:00:00Z",
                                   "--jit-cache", TuttiBinary() + "-jit-cache", "--serve", "127.0.0.1:0"};
  pid_t pid = Spawn(args, out, err);
  ASSERT_GT(pid, 0);
  int port = 0;
  for (int i = 0; i < 3000 && port == 0; ++i) {
    std::string text = ReadFile(err);
    size_t at = text.find("listening on 127.0.0.1:");
    if (at != std::string::npos && text.find('\n', at) != std::string::npos)
      port = std::stoi(text.substr(at + 23));
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(port, 0) << ReadFile(err);
  std::string graph = Shell("curl -s http://127.0.0.1:" + std::to_string(port) + "/v1/journeys/glidim_formulary_win/graph");
  Json win = Json::parse(graph, nullptr, false);
  ASSERT_TRUE(win.is_object()) << graph.substr(0, 300);
  EXPECT_EQ(win["nodes"][0]["entered"], 3091);
  EXPECT_EQ(Shell("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:" + std::to_string(port) + "/console/"),
            "200");
  size_t lines = 0;
  std::istringstream decisions(ReadFile(out));
  for (std::string line; std::getline(decisions, line); ++lines)
    ASSERT_TRUE(Json::parse(line, nullptr, false).is_object()) << "stdout holds decisions only: " << line;
  EXPECT_GT(lines, 3000u);
  std::string said = ReadFile(err);
  size_t in = said.find("data in ");
  ASSERT_NE(in, std::string::npos) << said;
  fs::path folder = said.substr(in + 8, said.find(" until it stops", in) - in - 8);
  EXPECT_TRUE(fs::exists(folder / "actions.ndjson")) << folder;
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadFile(err);
  EXPECT_FALSE(fs::exists(folder)) << "the dry run's folder is removed when it stops";
}

TEST(Console, EveryPageLoadsCleanlyInABrowserAndShowsTheApisNumbers) {
  ASSERT_TRUE(fs::exists(CHROMIUM_BINARY)) << "setup.sh installs Debian's chromium";
  ASSERT_TRUE(fs::exists(Source("console/node_modules/puppeteer-core"))) << "setup.sh runs npm ci in console/";
  fs::path dir = FreshDir("console-browser");
  // The scenario's webhooks go where nothing listens: dead letters, for the
  // operator's page to list and retry.
  std::ofstream(dir / "config.json")
      << R"({"webhooks": {"webhook": {"url": "http://127.0.0.1:1/orders", "backoff_ms": 10, "max_attempts": 1}}})";
  Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
  PlayTheScenario(d);
  for (int i = 0; i < 300 && d.GetJson("/v1/actions?delivery=dead_letter")["actions"].size() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Json dead = d.GetJson("/v1/actions?delivery=dead_letter");
  // The journeys' figures before the pages act (a task marked done, a
  // formulary win recorded).
  Json api = d.GetJson("/v1/journeys"), engagement = d.GetJson("/v1/engagement");
  Json last_90_days = d.GetJson("/v1/journeys?days=90"), last_30_days = d.GetJson("/v1/journeys?days=30");
  fs::path shots = fs::path(CONSOLE_SCREENSHOTS);
  Json seen = Browse(d, shots, dir);
  ASSERT_FALSE(seen.empty());
  std::set<std::string> pages = ExpectEveryPageClean(seen);
  EXPECT_EQ(pages, (std::set<std::string>{"journeys", "journey", "prescriber-lookup", "prescriber", "account",
                                          "director", "operator", "work", "why", "journeys-90-days",
                                          "journey-90-days", "journey-30-days"}));

  // The numbers shown are the API's.
  std::map<std::string, Json> by_name;
  for (const Json& j : api["journeys"]) by_name[j["name"]] = j;
  for (const Json& page : seen["pages"]) {
    if (page["name"] == "journeys") {
      ExpectTheJourneysRows(page, api);
    } else if (page["name"] == "journeys-90-days") {
      // The window's figures, as the API gives them for the same window.
      ASSERT_EQ(page["rows"].size(), last_90_days["journeys"].size());
      int64_t entered = 0;
      for (size_t i = 0; i < page["rows"].size(); ++i) {
        const Json& row = page["rows"][i];
        const Json& j = last_90_days["journeys"][i];
        EXPECT_EQ(row[0], j["name"]);
        EXPECT_EQ(row[3], Grouped(j["window"]["entered"])) << row.dump();
        EXPECT_EQ(row[5], Grouped(j["window"]["completed"])) << row.dump();
        EXPECT_EQ(row[7], Grouped(j["window"]["goals"])) << row.dump();
        entered += j["window"]["entered"].get<int64_t>();
      }
      EXPECT_GT(entered, 0) << "the scenario's last 90 days hold entries";
    } else if (page["name"] == "journey") {
      const Json& j = by_name["glidim_formulary_win"];
      EXPECT_EQ(page["figures"]["entered"], "3,091");
      EXPECT_EQ(page["figures"]["entered"], Grouped(j["entered"]));
      EXPECT_EQ(page["figures"]["completed"], Grouped(j["completed"]));
      EXPECT_EQ(page["figures"]["exited"], Grouped(j["exited"]));
      EXPECT_EQ(page["nodes"]["n1"], "entered 3,091") << page["nodes"].dump();
      size_t arms = 0;
      for (const Json& edge : page["edges"]) arms += edge[1].get<std::string>().find(" customers") != std::string::npos;
      EXPECT_EQ(arms, 3u) << "the three options of its choose best, each with its customers";
    } else if (page["name"] == "journey-90-days") {
      // The window's figures, steps and arms, as the API gives them for
      // the same window (the whole story: journey-30-days below tells the
      // window from all time); waiting is now.
      const Json* j = nullptr;
      for (const Json& x : last_90_days["journeys"])
        if (x["name"] == "glidim_formulary_win") j = &x;
      ASSERT_NE(j, nullptr);
      const Json& w = (*j)["window"];
      EXPECT_EQ(page["figures"]["entered"], Grouped(w["entered"]));
      EXPECT_EQ(page["figures"]["goals"], Grouped(w["goals"]));
      EXPECT_EQ(page["figures"]["active"], Grouped((*j)["active"]));
      const Json& steps = page["tables"]["Per step"];
      ASSERT_EQ(steps.size(), w["steps"].size());
      int64_t reached = 0;
      for (const Json& row : steps) {
        const std::string id = row[0];
        EXPECT_EQ(row[1], Grouped(w["steps"][id]["reached"])) << row.dump();
        EXPECT_EQ(row[2], Grouped((*j)["steps"][id]["waiting_now"])) << row.dump();
        reached += w["steps"][id]["reached"].get<int64_t>();
      }
      EXPECT_GT(reached, 0) << "the scenario's last 90 days reach steps";
      ASSERT_EQ(w["experiments"].size(), 1u) << w["experiments"].dump();
      const Json& arms = page["tables"]["Choose best at " + w["experiments"][0]["step"].get<std::string>()];
      ASSERT_EQ(arms.size(), w["experiments"][0]["arms"].size()) << page["tables"].dump();
      for (size_t i = 0; i < arms.size(); ++i) {
        EXPECT_EQ(arms[i][0], w["experiments"][0]["arms"][i]["label"]);
        EXPECT_EQ(arms[i][1], Grouped(w["experiments"][0]["arms"][i]["customers"]));
        EXPECT_EQ(arms[i][2], Grouped(w["experiments"][0]["arms"][i]["goals"]));
      }
    } else if (page["name"] == "journey-30-days") {
      // The story's formulary win is more than 30 days before its end: the
      // page shows the window's figures, not those since the version began.
      for (const Json& x : last_30_days["journeys"]) {
        if (x["name"] != "glidim_formulary_win") continue;
        EXPECT_EQ(page["figures"]["entered"], Grouped(x["window"]["entered"]));
        EXPECT_NE(x["window"]["entered"], x["entered"]) << "a window that tells the two apart";
        EXPECT_EQ(page["figures"]["goals"], Grouped(x["window"]["goals"]));
      }
    } else if (page["name"] == "prescriber") {
      Json castillo = d.GetJson("/v1/customers/hcp-empire-00017");
      EXPECT_EQ(page["h1"], "Prescriber hcp-empire-00017");
      EXPECT_EQ(page["history_rows"], castillo["history"].size());
      // Each kind of entry with its details: the last of each kind shown.
      Json last;
      for (const Json& e : castillo["history"]) last[e["kind"].get<std::string>()] = e;
      ASSERT_TRUE(last.contains("event") && last.contains("action")) << castillo["history"].dump();
      const Json& fields = last["event"]["fields"];
      ASSERT_FALSE(fields.empty());
      std::string first_field = fields.begin().key() + ": " +
                                (fields.begin()->is_string() ? fields.begin()->get<std::string>() : fields.begin()->dump());
      EXPECT_NE(page["details"]["event"].get<std::string>().find(first_field), std::string::npos) << page["details"];
      std::string what = last["action"].value("template", last["action"].value("text", ""));
      ASSERT_FALSE(what.empty()) << last["action"].dump();
      EXPECT_NE(page["details"]["action"].get<std::string>().find(what), std::string::npos) << page["details"];
      if (last.contains("suppressed"))
        EXPECT_NE(page["details"]["suppressed"].get<std::string>().find(last["suppressed"]["reason"].get<std::string>()),
                  std::string::npos);
      ASSERT_EQ(page["actions"].size(), castillo["actions"].size());
      EXPECT_EQ(page["actions"][0], castillo["actions"][0]["idempotency_key"]);
      // When the policy lets each channel reach her, as the API says.
      ASSERT_FALSE(castillo["next_contact"].empty());
      ASSERT_EQ(page["next_contact"].size(), castillo["next_contact"].size());
      for (const Json& n : castillo["next_contact"]) {
        std::string at = n["at"].is_string() ? n["at"].get<std::string>() : "";
        std::string shown = at.empty() ? "not as things stand" : at.substr(0, 10) + " " + at.substr(11, 5) + " UTC";
        EXPECT_EQ(page["next_contact"][n["channel"].get<std::string>()], shown) << n.dump();
      }
    } else if (page["name"] == "account") {
      Json history = d.GetJson("/v1/accounts/empire-health/history?limit=100");
      EXPECT_EQ(page["history_rows"], history["history"].size());
    } else if (page["name"] == "director") {
      const Json& e = engagement;
      uint64_t actions = 0, responses = 0;
      for (const Json& role : e["roles"]) {
        for (const Json& n : role["actions"]) actions += n.get<uint64_t>();
        for (const Json& n : role["responses"]) responses += n.get<uint64_t>();
      }
      EXPECT_GT(actions, 0u);
      EXPECT_EQ(page["figures"]["actions"], Grouped(actions));
      EXPECT_EQ(page["figures"]["responses"], Grouped(responses));
      EXPECT_EQ(page["figures"]["engaged"], Grouped(e["engaged_total"]));
      EXPECT_EQ(page["charts"], 2) << "outreach and responses, drawn";
      EXPECT_EQ(page["weeks"].size(), e["starts"].size());
      Json ranked = d.GetJson("/v1/accounts");
      ASSERT_EQ(page["by_engagement"].size(), ranked["accounts"].size());
      for (size_t i = 0; i < ranked["accounts"].size(); ++i) {
        EXPECT_EQ(page["by_engagement"][i][0], ranked["accounts"][i]["name"]);
        EXPECT_EQ(page["by_engagement"][i][5], Grouped(ranked["accounts"][i]["responses"]));
      }
      EXPECT_EQ(page["by_engagement"][0][0], "Empire Health") << "the formulary win's account engages most";
      Json alike = d.GetJson("/v1/accounts?similar_to=empire-health");
      ASSERT_EQ(page["by_likeness"].size(), alike["accounts"].size());
      for (size_t i = 0; i < alike["accounts"].size(); ++i)
        EXPECT_EQ(page["by_likeness"][i][0], alike["accounts"][i]["name"]);
    } else if (page["name"] == "operator") {
      // The scenario's 260 events and the action_failed of each dead letter
      // (the page was drawn before its retry).
      EXPECT_EQ(page["figures"]["events_in"], "262");
      EXPECT_EQ(page["figures"]["unapplied"], "0");
      EXPECT_EQ(page["figures"]["dead_letters"], std::to_string(dead["actions"].size()));
      ASSERT_EQ(page["dead_letters"].size(), 2u);
      for (size_t i = 0; i < 2; ++i) EXPECT_EQ(page["dead_letters"][i], dead["actions"][i]["idempotency_key"]);
      EXPECT_NE(page["retried"].get<std::string>().find("is delivered again"), std::string::npos) << page["retried"];
      EXPECT_NE(d.Curl("GET", "/metrics").find(R"(tutti_actions_total{channel="webhook",outcome="dead_letter_retried"} 1)"),
                std::string::npos);
    }
  }
  // The work queues as the API has them, once the first task was marked
  // done from the page (a task_completed event, posted with the ingest
  // token's route).
  for (const Json& page : seen["pages"]) {
    if (page["name"] != "work") continue;
    Json open = d.GetJson("/v1/tasks?limit=1000");
    ASSERT_GT(page["listed"].size(), 0u) << "the scenario's journeys give reps, MSLs and the call center work";
    EXPECT_EQ(page["listed"].size(), std::min<size_t>(100, open["matching"].get<size_t>() + 1));
    EXPECT_NE(page["done"].get<std::string>().find("Marked done"), std::string::npos) << page["done"];
    std::string first = page["listed"][0];
    Json closed = d.GetJson("/v1/tasks?state=closed");
    ASSERT_FALSE(closed["tasks"].empty());
    EXPECT_EQ(closed["tasks"][0]["id"], first);
    EXPECT_EQ(closed["tasks"][0]["outcome"], "done");
    EXPECT_EQ(page["figures"]["open"], Grouped(open["matching"].get<uint64_t>() + 1));
    uint64_t overdue = 0;
    for (const Json& r : open["roles"]) overdue += r["overdue"].get<uint64_t>();
    std::string due = closed["tasks"][0]["due"].is_string() ? closed["tasks"][0]["due"].get<std::string>() : "";
    overdue += !due.empty() && due < open["now"].get<std::string>();
    EXPECT_EQ(page["figures"]["overdue"], Grouped(overdue));
    // One row per role and per person (the case queue among them); the
    // task marked done may have been its person's last.
    EXPECT_GE(page["by_role"].size(), open["roles"].size());
    EXPECT_LE(page["by_role"].size(), open["roles"].size() + 1);
    EXPECT_GE(page["by_person"].size(), open["queues"].size());
    EXPECT_LE(page["by_person"].size(), open["queues"].size() + 1);
  }
  // The formulary win recorded on the account's page is the account's
  // newest event.
  EXPECT_NE(seen["formulary_win"].get<std::string>().find("Recorded: TESTBRAND"), std::string::npos) << seen["formulary_win"];
  Json empire = AllHistory(d, "/v1/accounts/empire-health/history", 1000);
  ASSERT_FALSE(empire.empty());
  Json newest_event;
  for (const Json& e : empire)
    if (e["kind"] == "event") newest_event = e;
  EXPECT_EQ(newest_event["name"], "formulary_win") << newest_event;
  // From Dr. Castillo's newest action, one click to its explanation.
  Json castillo = d.GetJson("/v1/customers/hcp-empire-00017");
  EXPECT_EQ(seen["why"]["key"], castillo["actions"][0]["idempotency_key"]);
  EXPECT_TRUE(seen["why"]["mentions_key"].get<bool>());
  EXPECT_EQ(seen["why"]["h1"], "Why hcp-empire-00017 got " + castillo["actions"][0]["template"].get<std::string>());
  // With a keyboard alone, and on a tablet.
  EXPECT_TRUE(seen["keyboard"]["reached"].get<bool>());
  EXPECT_EQ(seen["keyboard"]["landed"], "#/journeys/glidim_formulary_win");
  EXPECT_FALSE(seen["tablet"]["overflow"].get<bool>());

  if (const char* update = std::getenv("TUTTI_UPDATE_SCREENSHOTS"); update && std::string(update) == "1") {
    fs::create_directories(Source("docs/console"));
    for (const auto& shot : fs::directory_iterator(shots))
      fs::copy_file(shot.path(), Source("docs/console") + "/" + shot.path().filename().string(),
                    fs::copy_options::overwrite_existing);
  }
  EXPECT_EQ(d.Kill(SIGTERM), 0);
}

// The console on a cluster (docs/cluster.md): two `tutti serve` nodes of a
// mock cluster, the scenario written through both. Every page, asked of
// one node, loads cleanly and shows what the cluster's API gives, which
// adds both nodes' partitions up; a prescriber who lives on either node
// is shown; a task is marked done and a formulary win recorded from the
// pages.
TEST(Console, EveryPageLoadsCleanlyInABrowserOnACluster) {
  ASSERT_TRUE(fs::exists(CHROMIUM_BINARY)) << "setup.sh installs Debian's chromium";
  ASSERT_TRUE(fs::exists(Source("console/node_modules/puppeteer-core"))) << "setup.sh runs npm ci in console/";
  MockCluster cluster(3, kClusterPartitions);
  fs::path dir = FreshDir("console-cluster");
  std::string config = ClusterConfig(dir, cluster.brokers());
  Daemon a(dir / "a", {"--config", config}, Source("journeys"), "");
  Daemon b(dir / "b", {"--config", config}, Source("journeys"), "");
  const std::string ndjson = "-H 'Content-Type: application/x-ndjson'";
  std::string posted = a.Curl("POST", "/v1/profiles", Source("examples/abc-pharma/profiles.ndjson"), ndjson);
  ASSERT_EQ(posted.substr(0, 3), "200") << posted.substr(0, 300);
  posted = b.Curl("POST", "/v1/events", Source("examples/abc-pharma/events.ndjson"), ndjson);
  ASSERT_EQ(posted.substr(0, 3), "200") << posted.substr(0, 300);
  posted = a.Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-04-30T00:00:00Z\"}'");
  ASSERT_EQ(posted.substr(0, 3), "200") << posted;
  WaitCaughtUp({&a, &b});
  ASSERT_GT(Metric(a, "tutti_cluster_partitions_owned"), 0);
  ASSERT_GT(Metric(b, "tutti_cluster_partitions_owned"), 0);
  // The deliverers read tutti.actions on their own: wait until every action
  // written is held by a node (a customer's page lists what they hold).
  const double written = Metric(a, "tutti_cluster_actions_written") + Metric(b, "tutti_cluster_actions_written");
  std::set<std::string> held;
  Json last;
  for (int i = 0; i < 300 && held.size() < written; ++i) {
    held.clear();
    std::string since;
    for (int page = 0; page < 100; ++page) {
      last = a.GetJson("/v1/actions?limit=1000" + (since.empty() ? "" : "&since=" + since));
      if (!last.contains("actions") || last["actions"].empty()) break;
      for (const Json& action : last["actions"]) held.insert(action["idempotency_key"].get<std::string>());
      since = last["next"].get<std::string>();
    }
    if (held.size() < written) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(held.size(), written) << "actions held by the nodes' deliverers; the last answer: " << last.dump().substr(0, 300);
  Json api = a.GetJson("/v1/journeys"), engagement = a.GetJson("/v1/engagement");
  double owned = Metric(a, "tutti_cluster_partitions_owned"), applied = Metric(a, "tutti_cluster_inputs_applied");

  Json seen = Browse(a, fs::path(CONSOLE_SCREENSHOTS) / "cluster", dir);
  ASSERT_FALSE(seen.empty());
  // A customer's page gathers their actions from every node's deliveries,
  // and the newest leads to its explanation, as on one daemon.
  EXPECT_EQ(ExpectEveryPageClean(seen),
            (std::set<std::string>{"journeys", "journey", "prescriber-lookup", "prescriber", "account", "director",
                                   "operator", "work", "journeys-90-days", "journey-90-days", "journey-30-days",
                                   "why"}));
  for (const Json& page : seen["pages"]) {
    if (page["name"] == "journeys") {
      ExpectTheJourneysRows(page, api);
    } else if (page["name"] == "journey") {
      // As one daemon counts the scenario: every partition's part added up.
      EXPECT_EQ(page["figures"]["entered"], "3,091");
      EXPECT_EQ(page["nodes"]["n1"], "entered 3,091") << page["nodes"].dump();
    } else if (page["name"] == "prescriber") {
      Json castillo = b.GetJson("/v1/customers/hcp-empire-00017");
      EXPECT_EQ(page["h1"], "Prescriber hcp-empire-00017");
      EXPECT_GT(castillo["history"].size(), 0u);
      EXPECT_EQ(page["history_rows"], castillo["history"].size());
      // Their actions as the cluster's action log lists them, newest first.
      Json logged = b.GetJson("/v1/actions?customer=hcp-empire-00017&limit=1000")["actions"];
      std::vector<std::string> newest;
      for (auto it = logged.rbegin(); it != logged.rend() && newest.size() < 50; ++it)
        newest.push_back((*it)["idempotency_key"]);
      EXPECT_FALSE(newest.empty());
      EXPECT_EQ(page["actions"], Json(newest)) << page["actions_note"];
    } else if (page["name"] == "director") {
      EXPECT_EQ(page["figures"]["engaged"], Grouped(engagement["engaged_total"]));
      EXPECT_EQ(page["charts"], 2) << "outreach and responses, drawn";
    } else if (page["name"] == "work") {
      EXPECT_NE(page["done"].get<std::string>().find("Marked done"), std::string::npos) << page["done"];
    } else if (page["name"] == "operator") {
      // The node's figures, not one daemon's log and engines (none here).
      const Json& f = page["figures"];
      EXPECT_EQ(f["partitions"], Grouped(static_cast<int64_t>(owned)) + " of " + std::to_string(kClusterPartitions));
      EXPECT_EQ(f["caught_up"], "yes");
      EXPECT_EQ(f["lag"], "0");
      EXPECT_EQ(f["inputs_applied"], Grouped(static_cast<int64_t>(applied)));
      EXPECT_FALSE(f.contains("log_entries") || f.contains("timers") || f.contains("shards")) << f.dump();
    }
  }
  EXPECT_NE(seen["formulary_win"].get<std::string>().find("Recorded: TESTBRAND"), std::string::npos) << seen["formulary_win"];
  EXPECT_TRUE(seen["keyboard"]["reached"].get<bool>());
  // One click from Dr. Castillo's newest action to its explanation, which
  // the node asked finds on the node that delivers it.
  ASSERT_TRUE(seen["why"].is_object()) << "no action led to an explanation";
  Json logged = a.GetJson("/v1/actions?customer=hcp-empire-00017&limit=1000")["actions"];
  ASSERT_FALSE(logged.empty());
  EXPECT_EQ(seen["why"]["key"], logged.back()["idempotency_key"]);
  EXPECT_TRUE(seen["why"]["mentions_key"].get<bool>()) << seen["why"].dump();
  EXPECT_EQ(a.Kill(SIGTERM), 0);
  EXPECT_EQ(b.Kill(SIGTERM), 0);
}

}  // namespace
}  // namespace tutti::testing
