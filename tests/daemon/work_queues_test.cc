// The work queues (GET /v1/tasks; runtime/daemon/work_queues.cc) on a real
// daemon: tasks per person and role with their due dates, the most urgent
// first, cases in their channel's queue, closing and handing on through
// POST /v1/events as the CRM (or the console) does, and all of it the same
// after a SIGKILL and a restart.

#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "tests/daemon/daemon_fixture.h"

namespace {

using namespace tutti::testing;

constexpr const char* kProgram = R"(
profile hcp { id: string key  name: string  rep: string }
profile staff { id: string key  name: string  role: string }
event launch keyed by hcp { hcp: string  urgent: bool }
event task_completed keyed by staff via assignee { assignee: string  task_id: string  outcome: string }
event task_reassigned keyed by staff via assignee { assignee: string  task_id: string  reassigned_by: string? }
channel rep_task { kind task  to staff }
channel call_center_case { kind case  to hcp }

journey ask {
  reentry always
  on launch
  if launch.urgent {
    task hcp.rep "Call {hcp.name} today" via rep_task due 1d
  } else {
    task hcp.rep "Visit {hcp.name}" via rep_task due 10d
  }
  send call_center_case "callback"
}
)";

constexpr const char* kProfiles = R"({"type": "hcp", "id": "h1", "name": "Dr. One", "rep": "priya"}
{"type": "hcp", "id": "h2", "name": "Dr. Two", "rep": "priya"}
{"type": "hcp", "id": "h3", "name": "Dr. Three", "rep": "sam"}
{"type": "staff", "id": "priya", "name": "Priya Iyer", "role": "field_rep"}
{"type": "staff", "id": "sam", "name": "Sam Okafor", "role": "key_account_manager"}
)";

constexpr const char* kEvents = R"({"type": "launch", "hcp": "h1", "urgent": false, "at": "2026-03-02T10:00:00Z"}
{"type": "launch", "hcp": "h2", "urgent": true, "at": "2026-03-02T11:00:00Z"}
{"type": "launch", "hcp": "h3", "urgent": false, "at": "2026-03-02T12:00:00Z"}
)";

std::string Post(Daemon& d, const fs::path& dir, const std::string& name, const std::string& ndjson) {
  std::ofstream(dir / name) << ndjson;
  return d.Curl("POST", "/v1/events", (dir / name).string(), "-H 'Content-Type: application/x-ndjson'");
}

TEST(WorkQueues, TasksPerPersonAndRoleCloseAndMoveByEventsAndOutliveACrash) {
  fs::path dir = FreshDir("work-queues");
  fs::create_directories(dir / "journeys");
  std::ofstream(dir / "journeys" / "ask.tutti") << kProgram;
  std::ofstream(dir / "profiles.ndjson") << kProfiles;
  auto args = std::vector<std::string>{};
  auto d = std::make_unique<Daemon>(dir / "data", args, (dir / "journeys").string(), (dir / "profiles.ndjson").string());
  ASSERT_EQ(Post(*d, dir, "events.ndjson", kEvents).substr(0, 3), "200");
  ASSERT_EQ(d->Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-03-04T00:00:00Z\"}'").substr(0, 3), "200");
  d->WaitIdle();

  // Three rep tasks and three cases; h2's task was due on 3 March.
  Json all = d->GetJson("/v1/tasks");
  ASSERT_TRUE(all.is_object()) << all;
  EXPECT_EQ(all["now"], "2026-03-04T00:00:00Z");
  EXPECT_EQ(all["matching"], 6);
  ASSERT_EQ(all["tasks"].size(), 6u);
  const Json& first = all["tasks"][0];
  EXPECT_EQ(first["text"], "Call Dr. Two today");
  EXPECT_EQ(first["assignee"], "priya");
  EXPECT_EQ(first["assignee_name"], "Priya Iyer");
  EXPECT_EQ(first["role"], "field_rep");
  EXPECT_EQ(first["customer"], "h2");
  EXPECT_EQ(first["customer_name"], "Dr. Two");
  EXPECT_EQ(first["due"], "2026-03-03T11:00:00Z");
  EXPECT_EQ(first["overdue"], true);
  EXPECT_EQ(first["kind"], "task");
  EXPECT_EQ(first["journey"], "ask");
  EXPECT_EQ(all["tasks"][1]["text"], "Visit Dr. One");
  EXPECT_EQ(all["tasks"][2]["text"], "Visit Dr. Three");
  // Cases (no due date) last, oldest first, in the call center's queue.
  EXPECT_EQ(all["tasks"][3]["kind"], "case");
  EXPECT_EQ(all["tasks"][3]["assignee"], "");
  EXPECT_EQ(all["tasks"][3]["role"], "call_center");
  EXPECT_EQ(all["tasks"][3]["customer"], "h1");
  EXPECT_EQ(all["queues"], Json::parse(R"([
    {"assignee": "", "name": "", "role": "call_center", "open": 3, "overdue": 0, "next_due": null},
    {"assignee": "priya", "name": "Priya Iyer", "role": "field_rep", "open": 2, "overdue": 1, "next_due": "2026-03-03T11:00:00Z"},
    {"assignee": "sam", "name": "Sam Okafor", "role": "key_account_manager", "open": 1, "overdue": 0, "next_due": "2026-03-12T12:00:00Z"}])"));
  EXPECT_EQ(all["roles"], Json::parse(R"([
    {"role": "call_center", "open": 3, "overdue": 0},
    {"role": "field_rep", "open": 2, "overdue": 1},
    {"role": "key_account_manager", "open": 1, "overdue": 0}])"));
  EXPECT_EQ(d->GetJson("/v1/tasks?state=overdue")["matching"], 1);
  EXPECT_EQ(d->GetJson("/v1/tasks?role=key_account_manager")["tasks"][0]["assignee"], "sam");
  EXPECT_EQ(d->GetJson("/v1/tasks?assignee=priya")["matching"], 2);
  EXPECT_EQ(d->GetJson("/v1/tasks?customer=h3")["matching"], 2);
  Json page = d->GetJson("/v1/tasks?limit=4");
  EXPECT_EQ(page["tasks"].size(), 4u);
  EXPECT_EQ(page["next"], 4);
  EXPECT_EQ(d->GetJson("/v1/tasks?offset=4")["tasks"].size(), 2u);
  EXPECT_EQ(d->Curl("GET", "/v1/tasks?state=late").substr(0, 3), "400");
  EXPECT_EQ(d->Curl("GET", "/v1/tasks?limit=0").substr(0, 3), "400");

  // Priya calls Dr. Two; Dr. One's visit goes to Sam; a case is closed.
  std::string call = first["id"], visit = all["tasks"][1]["id"], a_case = all["tasks"][3]["id"];
  std::string r = Post(*d, dir, "done.ndjson",
                       R"({"type": "task_completed", "assignee": "priya", "task_id": ")" + call +
                           R"(", "outcome": "done", "at": "2026-03-04T09:00:00Z"}
{"type": "task_reassigned", "assignee": "sam", "task_id": ")" + visit +
                           R"(", "reassigned_by": "priya", "at": "2026-03-04T09:05:00Z"}
{"type": "task_completed", "assignee": "ana", "task_id": ")" + a_case +
                           R"(", "outcome": "not_reached", "at": "2026-03-04T09:10:00Z"}
)");
  ASSERT_EQ(r.substr(0, 3), "200") << r;
  d->WaitIdle();
  auto check = [&](Daemon& daemon) {
    Json now = daemon.GetJson("/v1/tasks");
    EXPECT_EQ(now["matching"], 4) << now;
    EXPECT_EQ(now["totals"], Json::parse(R"({"closed": 2, "reassigned": 1, "forgotten": 0})"));
    Json sams = daemon.GetJson("/v1/tasks?assignee=sam");
    ASSERT_EQ(sams["tasks"].size(), 2u) << sams;
    EXPECT_EQ(sams["tasks"][0]["text"], "Visit Dr. One");
    EXPECT_EQ(sams["tasks"][0]["reassigned_from"], "priya");
    EXPECT_EQ(sams["tasks"][0]["reassigned_at"], "2026-03-04T09:05:00Z");
    Json closed = daemon.GetJson("/v1/tasks?state=closed");
    EXPECT_EQ(closed["closed"], 2);
    ASSERT_EQ(closed["tasks"].size(), 2u);
    EXPECT_EQ(closed["tasks"][0]["outcome"], "not_reached");  // newest first
    EXPECT_EQ(closed["tasks"][1]["text"], "Call Dr. Two today");
    EXPECT_EQ(closed["tasks"][1]["closed"], "2026-03-04T09:00:00Z");
    EXPECT_EQ(closed["tasks"][1]["overdue"], true);
  };
  check(*d);

  // The queue is engine state: a crash and a replay give it back.
  d->Kill(SIGKILL);
  d.reset();
  d = std::make_unique<Daemon>(dir / "data", args, (dir / "journeys").string(), (dir / "profiles.ndjson").string());
  d->WaitIdle();
  check(*d);
}

}  // namespace
