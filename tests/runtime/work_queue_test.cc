// The work queue (runtime/engine/work_queue.h): a task step and a send
// through a task or case channel open a task, under its action's
// idempotency key; the stdlib's task_completed closes it and
// task_reassigned hands it on; a snapshot keeps it; on several shards the
// shard that holds a task closes it whoever the event is keyed by.

#include <string>

#include <gtest/gtest.h>

#include "runtime/engine/partition.h"
#include "runtime/engine/shards.h"
#include "tests/runtime/engine_fixture.h"

namespace tutti::runtime {
namespace {

// The stdlib's task events, as the engine knows them: by name and fields.
constexpr const char* kWorkQueueProgram = R"(
event task_completed keyed by staff via assignee { assignee: string  task_id: string  outcome: string }
event task_reassigned keyed by staff via assignee { assignee: string  task_id: string  reassigned_by: string? }
profile hcp { id: string key  name: string  rep: string }
profile staff { id: string key  name: string  role: string }
event launch keyed by hcp { hcp: string }
channel rep_task { kind task  to staff }
channel call_center_case { kind case  to hcp }
channel email { kind message  to hcp }

journey ask_the_rep {
  reentry always
  on launch
  task hcp.rep "Visit {hcp.name}" via rep_task due 5d
  send call_center_case "callback"
  send email "hello"
  notify hcp.rep "FYI: {hcp.name} was asked"
}
)";

constexpr const char* kProfiles = R"({"type": "hcp", "id": "h1", "name": "Dr. One", "rep": "priya"}
{"type": "hcp", "id": "h2", "name": "Dr. Two", "rep": "sam"}
{"type": "staff", "id": "priya", "name": "Priya", "role": "field_rep"}
{"type": "staff", "id": "sam", "name": "Sam", "role": "field_rep"}
)";

class WorkQueues : public ::testing::Test {
 protected:
  testing::EngineFixture f{std::vector<std::pair<std::string, std::string>>{{"p.tutti", kWorkQueueProgram}}};

  void Feed(Engine& engine, const std::string& events) {
    for (const Record& e : f.Decode(events, Accept::kEvents)) engine.Ingest(e);
    engine.Flush();
  }
  std::unique_ptr<Engine> Started() {
    auto engine = f.set().NewEngine();
    for (const Record& p : f.Decode(kProfiles, Accept::kProfiles)) engine->UpsertProfile(p);
    Feed(*engine, R"({"type": "launch", "hcp": "h1", "at": "2026-03-02T10:00:00Z"}
{"type": "launch", "hcp": "h2", "at": "2026-03-02T11:00:00Z"}
)");
    return engine;
  }
  static std::vector<const WorkTask*> Open(const Engine& engine) {
    std::vector<const WorkTask*> out;
    for (const auto& [order, t] : engine.work().open()) out.push_back(&t);
    return out;
  }
};

TEST_F(WorkQueues, ATaskStepAndATaskOrCaseSendOpenTasksUnderTheirActionsKeys) {
  auto engine = Started();
  std::vector<Decision> decisions = engine->TakeDecisions();
  std::vector<const WorkTask*> open = Open(*engine);
  // Per prescriber: the rep's task and the call-center case; not the
  // e-mail, not the notification.
  ASSERT_EQ(open.size(), 4u);
  const WorkTask& task = *open[0];
  EXPECT_EQ(task.assignee, "priya");
  EXPECT_EQ(task.customer, "h1");
  EXPECT_EQ(task.channel, "rep_task");
  EXPECT_EQ(task.content, "Visit Dr. One");
  EXPECT_EQ(task.journey, "ask_the_rep");
  EXPECT_EQ(FormatInstant(task.opened), "2026-03-02T10:00:00Z");
  ASSERT_TRUE(task.due.has_value());
  EXPECT_EQ(FormatInstant(*task.due), "2026-03-07T10:00:00Z");
  const WorkTask& a_case = *open[1];
  EXPECT_EQ(a_case.assignee, "") << "a case waits in its channel's queue";
  EXPECT_EQ(a_case.channel, "call_center_case");
  EXPECT_EQ(a_case.content, "callback");
  EXPECT_FALSE(a_case.due.has_value());
  // Each task's id is its action's idempotency key.
  std::vector<std::string> keys;
  for (const Decision& d : decisions)
    if (d.kind == DecisionKind::kAction && (d.action == "task" || d.channel == "call_center_case"))
      keys.push_back(d.idempotency_key);
  ASSERT_EQ(keys.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(open[i]->id, keys[i]);
}

TEST_F(WorkQueues, CompletionClosesAndReassignmentHandsOn) {
  auto engine = Started();
  std::vector<const WorkTask*> open = Open(*engine);
  std::string priyas = open[0]->id, sams = open[2]->id, h1_case = open[1]->id;
  Feed(*engine, R"({"type": "task_completed", "assignee": "priya", "task_id": ")" + priyas +
                    R"(", "outcome": "done", "at": "2026-03-03T09:00:00Z"}
{"type": "task_reassigned", "assignee": "priya", "task_id": ")" + sams +
                    R"(", "reassigned_by": "sam", "at": "2026-03-03T09:30:00Z"}
{"type": "task_completed", "assignee": "priya", "task_id": "crm-own-task-17", "outcome": "done", "at": "2026-03-03T10:00:00Z"}
)");
  const WorkQueue& work = engine->work();
  EXPECT_EQ(work.open().size(), 3u);
  EXPECT_EQ(work.Find(priyas), nullptr);
  ASSERT_EQ(work.closed().size(), 1u);
  EXPECT_EQ(work.closed()[0].task.id, priyas);
  EXPECT_EQ(work.closed()[0].outcome, "done");
  EXPECT_EQ(FormatInstant(work.closed()[0].closed), "2026-03-03T09:00:00Z");
  const WorkTask* moved = work.Find(sams);
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->assignee, "priya");
  EXPECT_EQ(moved->reassigned_from, "sam");
  EXPECT_EQ(FormatInstant(*moved->reassigned_at), "2026-03-03T09:30:00Z");
  EXPECT_NE(work.Find(h1_case), nullptr);
  EXPECT_EQ(work.closed_count(), 1);
  EXPECT_EQ(work.reassigned_count(), 1);
  // Closing it again changes nothing.
  Feed(*engine, R"({"type": "task_completed", "assignee": "priya", "task_id": ")" + priyas +
                    R"(", "outcome": "declined", "at": "2026-03-03T11:00:00Z"}
)");
  EXPECT_EQ(engine->work().closed_count(), 1);
}

TEST(WorkQueue, KeepsABoundedPrintableOutcome) {
  WorkQueue work;
  ASSERT_TRUE(work.Open(WorkTask{.id = "k1"}));
  EXPECT_FALSE(work.Open(WorkTask{.id = "k1"})) << "an id already held";
  ASSERT_TRUE(work.Close("k1", 0, std::string(1 << 20, 'x') + "\n"));
  const std::string& kept = work.closed().back().outcome;
  EXPECT_LE(kept.size(), WorkQueue::kOutcomeBytes + 3);
  EXPECT_EQ(kept.substr(0, 10), "xxxxxxxxxx");
  EXPECT_FALSE(work.Close("k1", 0, "done")) << "closed already";
}

TEST_F(WorkQueues, ASnapshotKeepsTheQueue) {
  auto engine = Started();
  std::string sams = Open(*engine)[2]->id;
  Feed(*engine, R"({"type": "task_reassigned", "assignee": "priya", "task_id": ")" + sams +
                    R"(", "at": "2026-03-03T09:30:00Z"}
{"type": "task_completed", "assignee": "priya", "task_id": ")" + Open(*engine)[0]->id +
                    R"(", "outcome": "not_reached", "at": "2026-03-03T10:00:00Z"}
)");
  auto restored = f.set().NewEngine();
  ASSERT_TRUE(restored->Restore(engine->Save()).ok());
  ASSERT_EQ(Open(*restored).size(), Open(*engine).size());
  for (size_t i = 0; i < Open(*engine).size(); ++i) {
    const WorkTask &a = *Open(*engine)[i], &b = *Open(*restored)[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.assignee, b.assignee);
    EXPECT_EQ(a.reassigned_from, b.reassigned_from);
    EXPECT_EQ(a.due, b.due);
    EXPECT_EQ(a.content, b.content);
  }
  ASSERT_EQ(restored->work().closed().size(), 1u);
  EXPECT_EQ(restored->work().closed()[0].outcome, "not_reached");
  EXPECT_EQ(restored->work().reassigned_count(), 1);
  EXPECT_EQ(restored->Save(), engine->Save());
}

TEST_F(WorkQueues, OnSeveralShardsTheShardHoldingATaskClosesIt) {
  Shards shards(3, [&](EngineOptions o) { return f.set().NewEngine(o); });
  std::vector<Record> profiles = f.Decode(kProfiles, Accept::kProfiles);
  std::vector<Record> events = f.Decode(R"({"type": "launch", "hcp": "h1", "at": "2026-03-02T10:00:00Z"}
{"type": "launch", "hcp": "h2", "at": "2026-03-02T11:00:00Z"}
)",
                                        Accept::kEvents);
  std::vector<Shards::Input> inputs;
  for (const Record& p : profiles) inputs.push_back({INT64_MIN, &p});
  for (const Record& e : events) inputs.push_back({*ToInstant(*e.at), &e});
  shards.Apply(inputs);
  shards.AdvanceTo(*ParseInstant("2026-03-02T12:00:00Z"));  // the last instant's sends are settled
  std::vector<std::string> ids;
  for (uint32_t s = 0; s < shards.count(); ++s)
    for (const auto& [order, t] : shards.shard(s).work().open()) ids.push_back(t.id);
  ASSERT_EQ(ids.size(), 4u);
  std::string ndjson;
  for (const std::string& id : ids)
    ndjson += R"({"type": "task_completed", "assignee": "sam", "task_id": ")" + id +
              R"(", "outcome": "done", "at": "2026-03-04T10:00:00Z"})" + "\n";
  std::vector<Record> done = f.Decode(ndjson, Accept::kEvents);
  inputs.clear();
  for (const Record& e : done) inputs.push_back({*ToInstant(*e.at), &e});
  shards.Apply(inputs);
  int64_t closed = 0;
  for (uint32_t s = 0; s < shards.count(); ++s) {
    EXPECT_TRUE(shards.shard(s).work().open().empty()) << "shard " << s;
    closed += shards.shard(s).work().closed_count();
  }
  EXPECT_EQ(closed, 4);
}

TEST_F(WorkQueues, ATaskOpenLongerThanTheHistoryIsKeptIsForgottenAsTimePassesOnEveryShard) {
  EngineOptions options;
  options.history_retention = 10 * kNanosPerDay;
  for (uint32_t count : {1u, 3u}) {
    Shards shards(count, [&](EngineOptions o) {
      o.history_retention = options.history_retention;
      return f.set().NewEngine(o);
    });
    std::vector<Record> profiles = f.Decode(kProfiles, Accept::kProfiles);
    std::vector<Record> events = f.Decode(R"({"type": "launch", "hcp": "h1", "at": "2026-03-02T10:00:00Z"}
)",
                                          Accept::kEvents);
    std::vector<Shards::Input> inputs;
    for (const Record& p : profiles) inputs.push_back({INT64_MIN, &p});
    inputs.push_back({*ToInstant(*events[0].at), &events[0]});
    shards.Apply(inputs);
    shards.AdvanceTo(*ParseInstant("2026-03-12T09:00:00Z"));
    auto open = [&] {
      size_t n = 0;
      for (uint32_t s = 0; s < shards.count(); ++s) n += shards.shard(s).work().open().size();
      return n;
    };
    EXPECT_EQ(open(), 2u) << count << " shards: 10 days have not passed";
    // No task opens anywhere after: time passing is enough.
    shards.AdvanceTo(*ParseInstant("2026-03-12T11:00:00Z"));
    EXPECT_EQ(open(), 0u) << count << " shards";
    int64_t forgotten = 0;
    for (uint32_t s = 0; s < shards.count(); ++s) forgotten += shards.shard(s).work().forgotten_count();
    EXPECT_EQ(forgotten, 2) << count << " shards";
  }
}

TEST_F(WorkQueues, AJourneyThatClosesTasksItselfRunsOnOneShard) {
  testing::EngineFixture closer{std::vector<std::pair<std::string, std::string>>{{"p.tutti", std::string(kWorkQueueProgram) + R"(
event visit_logged keyed by staff via rep { rep: string  open_task: string }
journey close_on_visit {
  on visit_logged as v
  emit task_completed { assignee: staff.id, task_id: v.open_task, outcome: "done" }
}
)"}}};
  auto why = WhyOneShard(closer.ir(), {});
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("closes or hands on a task"), std::string::npos) << *why;
  EXPECT_FALSE(WhyOneShard(f.ir(), {}).has_value());
}

}  // namespace
}  // namespace tutti::runtime
