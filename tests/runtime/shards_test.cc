// Several engines side by side (runtime/engine/shards.h) decide what one
// engine decides, for programs WhyOneShard lets split:
//   - random programs (journey_generator.h) on 2 and 3 shards make the same
//     decisions as one engine (as multisets: the order between customers
//     differs) and the same actions, by idempotency key;
//   - the merged outbox is the same, sequence numbers included, whether
//     time moved in one step or in slices of one timer, and across a save
//     and restore: what a daemon's replay relies on;
//   - the reference journeys can be split; journeys that reach past their
//     customers cannot, and WhyOneShard says where and why.

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "runtime/engine/partition.h"
#include "runtime/engine/shards.h"
#include "tests/runtime/journey_generator.h"

namespace tutti::runtime {
namespace {

constexpr int kSeeds = 40;

/// What a run leaves: every decision (sorted NDJSON lines) and the outbox
/// in its order.
struct Outcome {
  std::vector<std::string> decisions;
  std::vector<std::string> outbox;
};

std::vector<std::string> Lines(const Outbox& outbox) {
  std::vector<std::string> out;
  for (const OutboxEntry* e : outbox.Since(0, SIZE_MAX)) out.push_back(std::to_string(e->seq) + " " + ToJson(e->action));
  return out;
}

/// `events` (in time order) over `profiles` on one engine, then every timer.
Outcome OneEngine(const JourneySet& set, const std::vector<Record>& profiles, const std::vector<Record>& events) {
  auto engine = set.NewEngine();
  for (const Record& p : profiles) engine->UpsertProfile(p);
  for (const Record& e : events) engine->Ingest(e);
  while (auto due = engine->NextDue()) engine->AdvanceTo(*due);
  engine->AdvanceTo(engine->now() + 1);
  Outcome run;
  for (const Decision& d : engine->TakeDecisions()) run.decisions.push_back(ToJson(d));
  std::sort(run.decisions.begin(), run.decisions.end());
  run.outbox = Lines(engine->outbox());
  return run;
}

/// The same on `count` shards: events in steps of `step`; timers in slices
/// of `wakeups`; saved and restored into fresh shards every `snapshot_every`
/// steps (0: never).
Outcome OnShards(const JourneySet& set, uint32_t count, const std::vector<Record>& profiles,
             const std::vector<Record>& events, size_t step, size_t wakeups, size_t snapshot_every = 0) {
  auto make = [&] {
    return std::make_unique<Shards>(count, [&](EngineOptions o) { return set.NewEngine(o); });
  };
  auto shards = make();
  std::vector<Shards::Input> inputs;
  for (const Record& p : profiles) inputs.push_back({INT64_MIN, &p});
  shards->Apply(inputs);
  std::vector<Decision> decisions;
  for (size_t i = 0, steps = 0; i < events.size(); i += step, ++steps) {
    inputs.clear();
    for (size_t k = i; k < std::min(events.size(), i + step); ++k) {
      Instant at = *ToInstant(*events[k].at);
      if (step == 1) {
        // Timers due by the event fire in slices first, as the daemon fires them.
        while (!shards->AdvanceSome(std::max(at, shards->now()), wakeups)) {
        }
      }
      inputs.push_back({at, &events[k]});
    }
    shards->Apply(inputs);
    if (snapshot_every != 0 && steps % snapshot_every == snapshot_every - 1) {
      for (Decision& d : shards->TakeDecisions()) decisions.push_back(std::move(d));
      std::string bytes = shards->Save();
      shards = make();
      Status failure = shards->Restore(bytes);
      EXPECT_TRUE(failure.ok()) << failure.message();
      EXPECT_EQ(shards->Save(), bytes) << "restored shards save other bytes than they were restored from";
    }
  }
  while (auto due = shards->NextDue())
    while (!shards->AdvanceSome(*due, wakeups)) {
    }
  shards->AdvanceTo(shards->now() + 1);
  for (Decision& d : shards->TakeDecisions()) decisions.push_back(std::move(d));
  Outcome run;
  for (const Decision& d : decisions) run.decisions.push_back(ToJson(d));
  std::sort(run.decisions.begin(), run.decisions.end());
  run.outbox = Lines(shards->outbox());
  EXPECT_EQ(shards->outbox().pending(), shards->outbox().size());
  return run;
}

/// Where two runs' lines first differ, for a failure message that does not
/// print thousands of lines; empty when they are equal.
std::string FirstDifference(const std::vector<std::string>& want, const std::vector<std::string>& got) {
  for (size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
    if (i < want.size() && i < got.size() && want[i] == got[i]) continue;
    return "line " + std::to_string(i + 1) + " of " + std::to_string(want.size()) + " and " +
           std::to_string(got.size()) + ":\n  want " + (i < want.size() ? want[i] : "<end>") + "\n  got  " +
           (i < got.size() ? got[i] : "<end>");
  }
  return "";
}

/// The outbox lines without their sequence numbers, sorted.
std::vector<std::string> Actions(std::vector<std::string> lines) {
  for (std::string& l : lines) l = l.substr(l.find(' ') + 1);
  std::sort(lines.begin(), lines.end());
  return lines;
}

TEST(Shards, DecideAsOneEngine) {
  size_t split = 0, kept_whole = 0, decisions = 0, actions = 0;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Case c = Generator(static_cast<uint64_t>(seed)).Generate();
    compiler::DiagnosticSink sink;
    auto set = JourneySet::FromText(c.files, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
    ASSERT_NE(set, nullptr) << compiler::RenderText(sink.Sorted());
    if (auto why = WhyOneShard(set->ir())) {
      if (std::getenv("TUTTI_SHARDS_VERBOSE")) std::printf("seed %d: %s\n", seed, why->c_str());
      ++kept_whole;
      continue;
    }
    ASSERT_TRUE(set->Compile().ok());
    ++split;
    std::vector<Record> profiles = Decode(set->schemas(), c.profiles, Accept::kProfiles);
    std::vector<Record> events = Decode(set->schemas(), c.events, Accept::kEvents);
    std::stable_sort(events.begin(), events.end(), [](const Record& a, const Record& b) { return *a.at < *b.at; });
    Outcome one = OneEngine(*set, profiles, events);
    decisions += one.decisions.size();
    actions += one.outbox.size();
    for (uint32_t count : {2u, 3u}) {
      SCOPED_TRACE(std::to_string(count) + " shards");
      Outcome straight = OnShards(*set, count, profiles, events, 50, SIZE_MAX);
      EXPECT_EQ(FirstDifference(one.decisions, straight.decisions), "") << "the program:\n" << c.Source();
      EXPECT_EQ(FirstDifference(Actions(one.outbox), Actions(straight.outbox)), "");
      // The merged order, numbers included, is the inputs' alone.
      Outcome sliced = OnShards(*set, count, profiles, events, 1, 1);
      EXPECT_EQ(FirstDifference(straight.outbox, sliced.outbox), "") << "moving time in slices changed the outbox";
      Outcome restored = OnShards(*set, count, profiles, events, 7, 3, 5);
      EXPECT_EQ(FirstDifference(straight.outbox, restored.outbox), "") << "a save and restore changed the outbox";
      EXPECT_EQ(FirstDifference(one.decisions, restored.decisions), "");
      if (::testing::Test::HasFailure()) return;
    }
  }
  std::printf("[ shards ] %zu programs split (%zu decisions, %zu actions), %zu kept on one shard\n", split, decisions,
              actions, kept_whole);
  EXPECT_GE(split, 5u) << "too few generated programs can be split for the comparison to mean much";
}

/// The reference journeys and `extra`, a journey file added to them.
std::unique_ptr<JourneySet> Reference(const std::string& extra = "") {
  std::vector<std::pair<std::string, std::string>> files;
  // Journey files and the content files beside them, by path below journeys/.
  const std::filesystem::path root = std::string(TUTTI_SOURCE_DIR) + "/journeys";
  for (const auto& f : std::filesystem::recursive_directory_iterator(root)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path());
    files.emplace_back(f.path().lexically_relative(root).string(), std::string(std::istreambuf_iterator<char>(in), {}));
  }
  if (!extra.empty()) files.emplace_back("extra.tutti", extra);
  compiler::DiagnosticSink sink;
  auto set = JourneySet::FromText(files, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
  EXPECT_NE(set, nullptr) << compiler::RenderText(sink.Sorted());
  return set;
}

TEST(Shards, TheReferenceJourneysCanBeSplit) {
  auto set = Reference();
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(WhyOneShard(set->ir()), std::nullopt);
}

TEST(Shards, JourneysThatReachPastTheirCustomerRunOnOne) {
  const std::string head = "import \"std/events\"\nimport \"std/channels\"\nimport \"std/policy\"\n";
  struct Want {
    std::string journey;  // added to the reference journeys
    std::string why;      // what WhyOneShard says
  } wants[] = {
      {head + "journey extra {\n  on rx_written as rx\n  emit case_created { hcp: \"hcp-1\", case_id: \"c\", "
              "topic: \"general\", summary: \"s\", source: \"x\", urgent: false }\n}\n",
       "journey extra, emit@6: emits case_created with hcp: \"hcp-1\", which may name another hcp than the "
       "journey's own (hcp: hcp.id keeps it in the customer's shard)"},
      {head + "journey extra {\n  on formulary_win as win\n  if days_since_last_contact(account) > 3 {\n"
              "    notify account.key_account_manager \"quiet account\"\n  }\n}\n",
       "journey extra, if@6: days_since_last_contact() reads an account's history, which gathers its prescribers' "
       "from every shard"},
      {head + "journey extra {\n  on rx_written as rx\n  notify staff where staff.role == \"rep\" best by "
              "-days_since_last_contact(staff) \"new prescription\"\n}\n",
       "journey extra, notify@6: routing reads a candidate's history (days_since_last_contact()), which the "
       "candidate's own shard keeps"},
      {head + "journey extra {\n  on rx_written as rx\n  notify staff where staff.role == \"rep\" \"x {[staff].exists(hcp, "
              "days_since_last_contact(hcp) > 3)}\"\n}\n",
       "journey extra, notify@6: days_since_last_contact() reads the history of someone other than the journey's "
       "customer 'hcp'"},
  };
  for (const Want& w : wants) {
    auto set = Reference(w.journey);
    ASSERT_NE(set, nullptr) << w.journey;
    EXPECT_EQ(WhyOneShard(set->ir()).value_or("<none>"), w.why) << w.journey;
  }
}

TEST(Shards, AReloadIsCheckedWithTheVersionsStillRunning) {
  // The running version emits `ping` for an hour later; the new one fans
  // `ping` out over an audience. Each passes alone, but the pings already
  // waiting would reach only their emitter's shard's teams.
  const std::string schemas = R"(profile user { id: string key, team: string }
profile team { id: string key, lead: string }
event signup keyed by user { user: string }
event ping keyed by user { user: string, team: string }
)";
  auto build = [&](const std::string& journey) {
    compiler::DiagnosticSink sink;
    auto set = JourneySet::FromText({{"schemas.tutti", schemas}, {"j.tutti", "import \"schemas\"\n" + journey}},
                                    std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
    EXPECT_NE(set, nullptr) << compiler::RenderText(sink.Sorted());
    return set;
  };
  auto one = build("journey pinger {\n  on signup as s\n  emit ping { user: user.id, team: user.team, at: now + 1h }\n}\n");
  auto two = build("journey team_hears {\n  on ping as p\n  audience team where team.lead == p.user\n"
                   "  notify \"ops\" \"ping for {team.id}\"\n}\n");
  ASSERT_TRUE(one && two);
  EXPECT_EQ(WhyOneShard(one->ir()), std::nullopt);
  EXPECT_EQ(WhyOneShard(two->ir()), std::nullopt);
  Shards shards(2, [&](EngineOptions o) { return one->NewEngine(o); });
  auto refused = shards.Reload(two->ir(), two->schemas(), two->functions(), nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            "this version must run on one shard, and the daemon runs 2: journey pinger (version 1, running), "
            "emit@4: emits ping, and journey team_hears fans it out over an audience");
  // One shard takes it on.
  Shards alone(1, [&](EngineOptions o) { return one->NewEngine(o); });
  EXPECT_TRUE(alone.Reload(two->ir(), two->schemas(), two->functions(), nullptr).ok());
}

}  // namespace
}  // namespace tutti::runtime
