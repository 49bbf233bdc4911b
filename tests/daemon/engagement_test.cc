// The director's figures (GET /v1/engagement, GET /v1/accounts;
// runtime/daemon/engagement.cc) against figures worked out by hand on a
// small program: three accounts, six prescribers, one e-mail journey and a
// few answers, over two weekly buckets; and a journey's figures over a
// window (GET /v1/journeys, its graph).

#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "tests/daemon/daemon_fixture.h"

namespace {

using namespace tutti::testing;

constexpr const char* kProgram = R"(
profile account { id: string key  name: string  kind: string  region: string }
profile hcp { id: string key  name: string  account: string  specialty: string }
event launch keyed by hcp { hcp: string }
event email_opened keyed by hcp { hcp: string }
event visit_completed keyed by hcp { hcp: string }
event rx_written keyed by hcp { hcp: string }
channel email { kind message to hcp }

journey promo {
  reentry always
  on launch
  send email "promo-1"
}
)";

constexpr const char* kProfiles = R"({"type": "account", "id": "A", "name": "Alpha", "kind": "managed_care", "region": "NE"}
{"type": "account", "id": "B", "name": "Beta", "kind": "managed_care", "region": "MW"}
{"type": "account", "id": "C", "name": "Gamma", "kind": "idn", "region": "NE"}
{"type": "hcp", "id": "a1", "name": "n", "account": "A", "specialty": "endocrinology"}
{"type": "hcp", "id": "a2", "name": "n", "account": "A", "specialty": "endocrinology"}
{"type": "hcp", "id": "a3", "name": "n", "account": "A", "specialty": "cardiology"}
{"type": "hcp", "id": "b1", "name": "n", "account": "B", "specialty": "endocrinology"}
{"type": "hcp", "id": "b2", "name": "n", "account": "B", "specialty": "cardiology"}
{"type": "hcp", "id": "c1", "name": "n", "account": "C", "specialty": "cardiology"}
)";

// Week 0 is 2026-01-01 to 01-08, week 1 to 01-15.
constexpr const char* kEvents = R"({"type": "email_opened", "hcp": "a3", "at": "2025-12-30T10:00:00Z"}
{"type": "launch", "hcp": "a1", "at": "2026-01-02T10:00:00Z"}
{"type": "launch", "hcp": "a2", "at": "2026-01-02T10:00:00Z"}
{"type": "launch", "hcp": "a3", "at": "2026-01-02T10:00:00Z"}
{"type": "launch", "hcp": "b1", "at": "2026-01-02T10:00:00Z"}
{"type": "visit_completed", "hcp": "b1", "at": "2026-01-03T10:00:00Z"}
{"type": "email_opened", "hcp": "a1", "at": "2026-01-04T10:00:00Z"}
{"type": "rx_written", "hcp": "a1", "at": "2026-01-05T10:00:00Z"}
{"type": "launch", "hcp": "c1", "at": "2026-01-09T10:00:00Z"}
{"type": "email_opened", "hcp": "a2", "at": "2026-01-12T10:00:00Z"}
)";

const char* kWindow = "from=2026-01-01T00:00:00Z&to=2026-01-15T00:00:00Z&bucket=week";

/// A daemon (with `config`, if any) over the program, its profiles and
/// events, caught up.
std::unique_ptr<Daemon> Played(const std::string& name, const std::string& config = "",
                               const char* program = kProgram, const char* profiles = kProfiles,
                               const char* events = kEvents) {
  fs::path dir = FreshDir(name);
  fs::create_directories(dir / "journeys");
  std::ofstream(dir / "journeys" / "promo.tutti") << program;
  std::ofstream(dir / "profiles.ndjson") << profiles;
  std::ofstream(dir / "events.ndjson") << events;
  std::vector<std::string> args;
  if (!config.empty()) {
    std::ofstream(dir / "config.json") << config;
    args = {"--config", (dir / "config.json").string()};
  }
  auto d = std::make_unique<Daemon>(dir / "data", args, (dir / "journeys").string(), (dir / "profiles.ndjson").string());
  const std::string ndjson = "-H 'Content-Type: application/x-ndjson'";
  EXPECT_EQ(d->Curl("POST", "/v1/events", (dir / "events.ndjson").string(), ndjson).substr(0, 3), "200");
  EXPECT_EQ(d->Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-01-20T00:00:00Z\"}'").substr(0, 3), "200");
  d->WaitIdle();
  return d;
}

TEST(Engagement, TheDirectorsFiguresAreTheOnesWorkedOutByHand) {
  std::unique_ptr<Daemon> played = Played("engagement");
  Daemon& d = *played;

  Json e = d.GetJson(std::string("/v1/engagement?") + kWindow);
  ASSERT_TRUE(e.is_object()) << e;
  EXPECT_EQ(e["starts"], (Json{"2026-01-01T00:00:00Z", "2026-01-08T00:00:00Z"}));
  EXPECT_EQ(e["channels"], Json::parse(R"([{"channel": "email", "role": "marketing", "actions": [4, 1]}])"));
  // Events by type: a3's open before the window is not counted, nor is
  // prescribing or the journey's own trigger a response.
  EXPECT_EQ(e["events"], Json::parse(R"([
    {"event": "email_opened", "response": true, "role": "marketing", "count": [1, 1]},
    {"event": "launch", "response": false, "count": [4, 1]},
    {"event": "rx_written", "response": false, "count": [1, 0]},
    {"event": "visit_completed", "response": true, "role": "field", "count": [1, 0]}])"));
  // Five reached; a1 (opened 2 days after) and b1 (a visit the next day)
  // answered within 7 days, a2 (10 days after) did not.
  EXPECT_EQ(e["journeys"], Json::parse(R"([{"journey": "promo", "actions": [4, 1], "customers": 5, "responded": 2}])"));
  // The stdlib's roles, sorted, then "other".
  EXPECT_EQ(e["roles"], Json::parse(R"([
    {"role": "call_center", "actions": [0, 0], "responses": [0, 0]},
    {"role": "field", "actions": [0, 0], "responses": [1, 0]},
    {"role": "marketing", "actions": [4, 1], "responses": [1, 1]},
    {"role": "medical", "actions": [0, 0], "responses": [0, 0]},
    {"role": "other", "actions": [0, 0], "responses": [0, 0]}])"));
  EXPECT_EQ(e["engaged"], (Json{2, 1}));  // a1 and b1, then a2
  EXPECT_EQ(e["engaged_total"], 3);

  // Ranked by responses per prescriber: Alpha 2/3, Beta 1/2, Gamma 0.
  Json ranked = d.GetJson(std::string("/v1/accounts?") + kWindow);
  ASSERT_EQ(ranked["accounts"].size(), 3u) << ranked;
  EXPECT_EQ(ranked["ranked_by"], "engagement");
  const Json& alpha = ranked["accounts"][0];
  EXPECT_EQ(alpha["id"], "A");
  EXPECT_EQ(alpha["prescribers"], 3);
  EXPECT_EQ(alpha["actions"], 3);
  EXPECT_EQ(alpha["responses"], 2);
  EXPECT_EQ(alpha["engaged"], 2);
  EXPECT_NEAR(alpha["engagement"].get<double>(), 2.0 / 3, 1e-9);
  EXPECT_EQ(ranked["accounts"][1]["id"], "B");
  EXPECT_NEAR(ranked["accounts"][1]["engagement"].get<double>(), 0.5, 1e-9);
  EXPECT_EQ(ranked["accounts"][2]["id"], "C");

  // Like Alpha, whose last campaign is promo (1 of its 3 responded):
  //   Beta:  same kind 1; specialties (2,1)·(1,1) = 3/sqrt(10); campaign
  //          1 - |1 - 1/3| = 1/3
  //   Gamma: same kind 0; specialties (2,1)·(0,1) = 1/sqrt(5); campaign
  //          1 - |0 - 1/3| = 2/3
  Json alike = d.GetJson(std::string("/v1/accounts?similar_to=A&") + kWindow);
  ASSERT_EQ(alike["accounts"].size(), 2u) << alike;
  EXPECT_EQ(alike["ranked_by"], "similarity");
  EXPECT_EQ(alike["last_campaign"]["journey"], "promo");
  EXPECT_NEAR(alike["last_campaign"]["response_rate"].get<double>(), 1.0 / 3, 1e-9);
  const Json& beta = alike["accounts"][0];
  EXPECT_EQ(beta["id"], "B");
  EXPECT_NEAR(beta["similarity"]["specialties"].get<double>(), 3 / std::sqrt(10.0), 1e-9);
  EXPECT_NEAR(beta["similarity"]["last_campaign"].get<double>(), 1.0 / 3, 1e-9);
  EXPECT_NEAR(beta["similarity"]["score"].get<double>(), (1 + 3 / std::sqrt(10.0) + 1.0 / 3) / 3, 1e-9);
  const Json& gamma = alike["accounts"][1];
  EXPECT_EQ(gamma["id"], "C");
  EXPECT_EQ(gamma["similarity"]["kind"], 0.0);
  EXPECT_NEAR(gamma["similarity"]["score"].get<double>(), (0 + 1 / std::sqrt(5.0) + 2.0 / 3) / 3, 1e-9);

  // Refusals, located.
  EXPECT_EQ(d.Curl("GET", "/v1/accounts?similar_to=Z").substr(0, 3), "404");
  EXPECT_EQ(d.Curl("GET", "/v1/engagement?bucket=month").substr(0, 3), "400");
  EXPECT_EQ(d.Curl("GET", "/v1/engagement?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z").substr(0, 3), "400");
  EXPECT_EQ(d.Curl("GET", "/v1/engagement?from=1900-01-01T00:00:00Z&bucket=day").substr(0, 3), "400");
  EXPECT_EQ(d.Curl("GET", "/v1/engagement?from=yesterday").substr(0, 3), "400");
  // The widest window there is: its length does not fit a signed number.
  EXPECT_EQ(d.Curl("GET", "/v1/accounts?from=1678-01-01T00:00:00Z&to=2261-12-31T00:00:00Z").substr(0, 3), "400");
  EXPECT_EQ(d.Curl("POST", "/v1/engagement", "", "-d '{}'").substr(0, 3), "405");
}

// GET /v1/journeys over a window: each journey's counts per UTC day
// (JourneyStats::days), added up over the days the window covers. The
// promo journey entered 4 prescribers on 2 January and 1 on 9 January,
// each sent one e-mail and completed at once.
TEST(Engagement, AJourneysCountsOverAWindowAreItsDays) {
  std::unique_ptr<Daemon> played = Played("journey-window");
  Daemon& d = *played;
  auto promo = [&](const std::string& query) {
    Json all = d.GetJson("/v1/journeys?" + query);
    EXPECT_TRUE(all.contains("window")) << query << ": " << all;
    for (const Json& j : all["journeys"])
      if (j["name"] == "promo") return std::make_pair(j["window"], all["window"]);
    ADD_FAILURE() << "no promo journey: " << all;
    return std::make_pair(Json(), Json());
  };
  auto [first_week, bounds] = promo("from=2026-01-01T00:00:00Z&to=2026-01-08T00:00:00Z");
  EXPECT_EQ(first_week, Json::parse(R"({"entered": 4, "completed": 4, "exited": 0, "goals": 0, "failed": 0,
    "errors": 0, "actions": {"email": 4}, "suppressed": {}, "deferred": 0, "unassigned": 0,
    "time_to_goal": null, "steps": {"send@13": {"reached": 4}}, "experiments": []})"));
  EXPECT_EQ(bounds, Json::parse(R"({"from": "2026-01-01T00:00:00Z", "to": "2026-01-08T00:00:00Z"})"));
  EXPECT_EQ(promo("from=2026-01-08T00:00:00Z&to=2026-01-15T00:00:00Z").first["entered"], 1);
  // A `to` within a day takes in the whole day.
  auto [morning, morning_bounds] = promo("from=2026-01-02T00:00:00Z&to=2026-01-02T09:00:00Z");
  EXPECT_EQ(morning["entered"], 4);
  EXPECT_EQ(morning_bounds["to"], "2026-01-03T00:00:00Z");
  // The last 30 days up to the end of the engine's day (20 January).
  auto [month, month_bounds] = promo("days=30");
  EXPECT_EQ(month["entered"], 5);
  EXPECT_EQ(month["actions"]["email"], 5);
  EXPECT_EQ(month_bounds, Json::parse(R"({"from": "2025-12-22T00:00:00Z", "to": "2026-01-21T00:00:00Z"})"));
  EXPECT_EQ(promo("days=3").first["entered"], 0);
  // Without a window, no window.
  EXPECT_FALSE(d.GetJson("/v1/journeys").contains("window"));
  EXPECT_EQ(d.Curl("GET", "/v1/journeys?days=401").substr(0, 3), "400");
  EXPECT_EQ(d.Curl("GET", "/v1/journeys?days=ten").substr(0, 3), "400");
  EXPECT_EQ(d.Curl("GET", "/v1/journeys?days=0").substr(0, 3), "400");
  EXPECT_EQ(d.Curl("GET", "/v1/journeys?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z").substr(0, 3), "400");
}

// A window's steps, arms and times to goal, on the trial of
// tests/fixtures/trial/ (which says what happens on each day).
TEST(Engagement, AWindowHasItsStepsArmsAndTimesToGoal) {
  auto trial = [](const char* file) { return ReadFile(Source("tests/fixtures/trial/") + file); };
  std::string program = trial("trial.tutti"), profiles = trial("profiles.ndjson"), events = trial("events.ndjson");
  std::unique_ptr<Daemon> played =
      Played("journey-window-arms", "", program.c_str(), profiles.c_str(), events.c_str());
  Daemon& d = *played;
  const char* kFirstTwoDays = "from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z";
  Json all = d.GetJson(std::string("/v1/journeys?") + kFirstTwoDays);
  ASSERT_EQ(all["journeys"].size(), 1u) << all;
  const Json& j = all["journeys"][0];
  const Json& w = j["window"];
  std::string wait;  // the wait for an open, by its step id
  for (const auto& [id, step] : j["steps"].items())
    if (step.contains("left_by_event")) wait = id;
  ASSERT_FALSE(wait.empty()) << j["steps"];
  // Of the three who chose in those days, both of a reached the goal
  // since, b's one did not; one goal in the days themselves, 3 hours in.
  EXPECT_EQ(w["entered"], 3);
  EXPECT_EQ(w["goals"], 1);
  EXPECT_EQ(w["time_to_goal"], Json::parse(R"({"median": "4h", "p90": "4h"})"));
  ASSERT_EQ(w["experiments"].size(), 1u) << w;
  const Json& arms = w["experiments"][0]["arms"];
  ASSERT_EQ(arms.size(), 2u) << arms;
  EXPECT_EQ(arms[0]["label"], "a");
  EXPECT_EQ(arms[0]["customers"], 2);
  EXPECT_EQ(arms[0]["goals"], 2);
  EXPECT_EQ(arms[1]["customers"], 1);
  EXPECT_EQ(arms[1]["goals"], 0);
  EXPECT_EQ(w["steps"][wait], Json::parse(R"({"reached": 3, "left_by_event": {"customers": 1, "goals": 1},
    "left_by_timeout": {"customers": 0, "goals": 0}})")) << w["steps"];
  EXPECT_FALSE(w["steps"][wait].contains("waiting_now")) << "waiting is now, not in a window";
  // All time: both goals, h2's timeout, and 2 of 3 still waiting 30 days.
  EXPECT_EQ(j["goals"], 2);
  EXPECT_EQ(j["time_to_goal"], Json::parse(R"({"median": "4h", "p90": "3d"})"));
  EXPECT_EQ(j["steps"][wait]["left_by_timeout"]["customers"], 1);
  // The diagram over the same window: the choice's ways out carry the
  // window's customers and goals, the wait its reached.
  Json graph = d.GetJson(std::string("/v1/journeys/trial/graph?") + kFirstTwoDays);
  EXPECT_EQ(graph["window"], all["window"]);
  EXPECT_EQ(graph["goals"], 1);
  std::string choice = w["experiments"][0]["step"];
  std::map<std::string, std::pair<int64_t, int64_t>> ways;
  for (const Json& n : graph["nodes"])
    if (n.value("step", "") == wait) EXPECT_EQ(n["reached"], 3) << n;
  for (const Json& e : graph["edges"])
    if (e.contains("customers")) ways[e["label"]] = {e["customers"], e["goals"]};
  EXPECT_EQ(ways["a"], std::make_pair(int64_t{2}, int64_t{2})) << graph["edges"];
  EXPECT_EQ(ways["b"], std::make_pair(int64_t{1}, int64_t{0})) << graph["edges"];
  // The next two days: h2's timeout, no choice, h1's goal.
  Json next = d.GetJson("/v1/journeys/trial/graph?from=2026-03-03T00:00:00Z&to=2026-03-05T00:00:00Z");
  EXPECT_EQ(next["goals"], 1);
  EXPECT_EQ(d.Curl("GET", "/v1/journeys/trial/graph?days=0").substr(0, 3), "400");
  EXPECT_EQ(d.Curl("GET", "/v1/journeys/trial/graph?from=soon").substr(0, 3), "400");
  EXPECT_FALSE(d.GetJson("/v1/journeys/trial/graph").contains("window"));
}

TEST(Engagement, TheCompanySetsTheRolesTheResponsesAndTheirWindow) {
  // Opens answer the brand team's work, within 14 days; visits are not
  // counted as responses here.
  std::unique_ptr<Daemon> played = Played("engagement-roles", R"({"engagement": {"channel_roles": {"email": "brand"},
    "responses": {"email_opened": "brand"}, "response_window_days": 14}})");
  Daemon& d = *played;
  Json e = d.GetJson(std::string("/v1/engagement?") + kWindow);
  EXPECT_EQ(e["response_window_days"], 14);
  EXPECT_EQ(e["roles"], Json::parse(R"([{"role": "brand", "actions": [4, 1], "responses": [1, 1]},
                                        {"role": "other", "actions": [0, 0], "responses": [0, 0]}])"));
  // a1 (2 days) and now a2 (10 days) answered; b1's visit is no answer.
  EXPECT_EQ(e["journeys"][0]["responded"], 2);
  EXPECT_EQ(e["events"][3], Json::parse(R"({"event": "visit_completed", "response": false, "count": [1, 0]})"));
}

// A task counts under its assignee's role in the director's figures, as
// the work queues list it: an MSL's task on the field's channel is the
// medical team's work. The company's table maps its colleagues' roles;
// an assignee whose role it does not map, or who has no profile, leaves
// the task under its channel's role.
constexpr const char* kTasks = R"(
profile staff { id: string key  name: string  role: string }
profile hcp { id: string key  name: string  rep: string }
event launch keyed by hcp { hcp: string }
event ping keyed by hcp { hcp: string }
channel rep_task { kind task  to staff }
policy contact { cap [rep_task] 10 per 1d }

journey ask {
  reentry always
  on launch
  task hcp.rep "Call {hcp.name}" via rep_task due 3d
}

journey ask_plainly {
  on ping
  task hcp.rep "Write to {hcp.name}" due 3d
}
)";

TEST(Engagement, ATaskCountsUnderItsAssigneesRole) {
  std::unique_ptr<Daemon> played = Played(
      "engagement-assignees",
      R"({"engagement": {"channel_roles": {"rep_task": "field"}, "staff_roles": {"msl": "medical", "field_rep": "sales"}}})",
      kTasks,
      R"({"type": "staff", "id": "m1", "name": "M", "role": "msl"}
{"type": "staff", "id": "r1", "name": "R", "role": "field_rep"}
{"type": "staff", "id": "x1", "name": "X", "role": "intern"}
{"type": "hcp", "id": "h1", "name": "n", "rep": "m1"}
{"type": "hcp", "id": "h2", "name": "n", "rep": "r1"}
{"type": "hcp", "id": "h3", "name": "n", "rep": "x1"}
{"type": "hcp", "id": "h4", "name": "n", "rep": "nobody"}
)",
      R"({"type": "launch", "hcp": "h1", "at": "2026-01-02T10:00:00Z"}
{"type": "launch", "hcp": "h2", "at": "2026-01-02T10:00:00Z"}
{"type": "launch", "hcp": "h3", "at": "2026-01-02T10:00:00Z"}
{"type": "ping", "hcp": "h1", "at": "2026-01-03T10:00:00Z"}
{"type": "launch", "hcp": "h4", "at": "2026-01-09T10:00:00Z"}
)");
  Daemon& d = *played;
  Json e = d.GetJson(std::string("/v1/engagement?") + kWindow);
  // m1's tasks are the medical team's (the one given without a channel
  // too: m1 is found as the work queues find colleagues), r1's sales';
  // x1's (an intern, not mapped) and nobody's (no profile) stay the
  // channel's: the field's.
  // (Marketing is the stdlib's responses' role: that table is not replaced.)
  EXPECT_EQ(e["roles"], Json::parse(R"([{"role": "field", "actions": [1, 1], "responses": [0, 0]},
                                        {"role": "marketing", "actions": [0, 0], "responses": [0, 0]},
                                        {"role": "medical", "actions": [2, 0], "responses": [0, 0]},
                                        {"role": "sales", "actions": [1, 0], "responses": [0, 0]},
                                        {"role": "other", "actions": [0, 0], "responses": [0, 0]}])"))
      << e["roles"];
  EXPECT_EQ(e["channels"], Json::parse(R"([{"channel": "rep_task", "role": "field", "actions": [3, 1]},
                                           {"channel": "task", "role": "other", "actions": [1, 0]}])"));
  // The work queues say the same colleagues' roles.
  Json tasks = d.GetJson("/v1/tasks");
  std::map<std::string, std::string> role_of;
  for (const Json& t : tasks["tasks"]) role_of[t["assignee"]] = t["role"];
  EXPECT_EQ(role_of["m1"], "msl");
  EXPECT_EQ(role_of["r1"], "field_rep");
}

}  // namespace
