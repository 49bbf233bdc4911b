// Nodes of a cluster (runtime/cluster/node.h) against the mock cluster,
// on the reference scenario (journeys/, examples/abc-pharma): the actions
// every node writes to tutti.actions together are exactly the actions one
// engine makes from the same inputs (`tutti simulate`), each once, also
// when a node dies and another takes its partitions over; an input that
// does not decode goes to tutti.dead-letters and its partition goes on.

#include <algorithm>
#include <chrono>
#include <atomic>
#include <future>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compiler/source/diagnostic.h"
#include "runtime/cluster/kafka.h"
#include "runtime/cluster/node.h"
#include "runtime/cluster/topic_records.h"
#include "runtime/engine/journey_set.h"
#include "runtime/engine/engine.h"
#include "runtime/engine/partition.h"
#include "runtime/records/decoder.h"
#include "tests/cluster/mock_cluster.h"
#include "tests/cluster/scenario.h"

namespace tutti::runtime::cluster {
namespace {

using namespace std::chrono_literals;
using namespace tutti::testing;
using Json = nlohmann::json;

constexpr int kPartitions = 6;
const std::string kSource = TUTTI_SOURCE_DIR;

/// The reference journeys (journeys/), as every node here runs them.
std::unique_ptr<JourneySet> ReferenceJourneys() {
  compiler::DiagnosticSink sink;
  return JourneySet::Load({kSource + "/journeys"}, kSource + "/stdlib", sink);
}

class ClusterNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    set_ = ReferenceJourneys();
    ASSERT_NE(set_, nullptr);
    settings_.kafka.brokers = cluster_.brokers();
    // A node that dies is noticed within seconds, not the default 45; a
    // hop through a topic takes milliseconds, not the seconds the mock
    // cluster's way of holding fetches makes of librdkafka's default.
    settings_.kafka.librdkafka = {
        {"session.timeout.ms", "3000"}, {"heartbeat.interval.ms", "300"}, {"fetch.wait.max.ms", "10"}};
    settings_.virtual_clock = true;
    profiles_ = ScenarioFile("profiles.ndjson");
    events_ = ScenarioEvents();
  }

  std::unique_ptr<Node> StartNode(const std::string& name) {
    auto node = Node::Start(settings_, name, *set_, Build);
    EXPECT_TRUE(node.ok()) << node.status().message();
    return node.ok() ? std::move(*node) : nullptr;
  }

  /// Versions read from the control topic, as a node without native code builds them.
  static Result<std::unique_ptr<JourneySet>> Build(const std::vector<std::pair<std::string, std::string>>& files) {
    compiler::DiagnosticSink sink;
    auto set = JourneySet::FromText(files, kSource + "/stdlib", sink);
    if (set == nullptr) return Status::Invalid("does not check");
    return set;
  }

  std::multiset<std::string> Expected() { return OneEnginesActions(*set_); }
  /// What the cluster wrote, once it wrote at least what one engine makes.
  std::multiset<std::string> Written() { return WrittenActions(settings_.kafka, kPartitions, Expected().size()); }
  static std::string Join(const std::vector<std::string>& lines, size_t from, size_t to) {
    return JoinLines(lines, from, to);
  }

  /// Waits until `nodes` own every partition between them and have each
  /// applied everything written.
  static void WaitCaughtUp(const std::vector<Node*>& nodes, std::chrono::seconds limit = 120s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    // An answer from a check that began after what the caller wrote.
    std::vector<uint64_t> checks;
    for (Node* n : nodes) checks.push_back(n->end_checks() + 2);
    for (;;) {
      size_t owned = 0;
      bool caught_up = true;
      for (size_t i = 0; i < nodes.size(); ++i) {
        owned += nodes[i]->counts().partitions.size();
        caught_up = caught_up && nodes[i]->end_checks() >= checks[i] && nodes[i]->CaughtUp();
      }
      if (owned == kPartitions && caught_up) return;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "owned " << owned << " of " << kPartitions;
      std::this_thread::sleep_for(100ms);
    }
  }

  void MoveClockToTheEnd(Node& node) {
    Status moved = node.MoveClock(ScenarioEnd());
    ASSERT_TRUE(moved.ok()) << moved.message();
  }

  MockCluster cluster_{3, kPartitions};
  std::unique_ptr<JourneySet> set_;
  PartitionSettings settings_;
  std::string profiles_;
  std::vector<std::string> events_;
};

TEST_F(ClusterNodes, ThreeNodesWriteExactlyTheActionsOfOneEngine) {
  auto a = StartNode("a"), b = StartNode("b"), c = StartNode("c");
  ASSERT_TRUE(a && b && c);
  IngestResult profiles = a->Ingest(profiles_, Accept::kProfiles);
  ASSERT_EQ(profiles.status, 200) << profiles.error;
  EXPECT_EQ(profiles.refused, 0u);
  // Through every node's entrance.
  size_t third = events_.size() / 3;
  EXPECT_EQ(a->Ingest(Join(events_, 0, third), Accept::kEvents).status, 200);
  EXPECT_EQ(b->Ingest(Join(events_, third, 2 * third), Accept::kEvents).status, 200);
  IngestResult rest = c->Ingest(Join(events_, 2 * third, events_.size()), Accept::kEvents);
  EXPECT_EQ(rest.status, 200) << rest.error;
  MoveClockToTheEnd(*b);
  WaitCaughtUp({a.get(), b.get(), c.get()});
  std::multiset<std::string> expected = Expected(), written = Written();
  ASSERT_GT(expected.size(), 100u);
  EXPECT_EQ(written, expected);
  for (Node* n : {a.get(), b.get(), c.get()}) {
    NodeCounts counts = n->counts();
    EXPECT_EQ(counts.trouble, "");
    EXPECT_EQ(counts.partitions.size(), 2u) << "the group shares the partitions";
    EXPECT_GT(counts.total.actions_written, 0u);
    EXPECT_EQ(counts.total.actions_skipped, 0u);
  }
}

// With snapshots: the takeover restores b's partitions' newest snapshots
// and replays only what follows them (tests/daemon/cluster_test.cc does
// the same without, replaying from the start).
TEST_F(ClusterNodes, ANodeThatDiesHasItsPartitionsTakenOverWithNothingLostOrWrittenTwice) {
  settings_.snapshot_every = 1000;
  auto a = StartNode("a"), b = StartNode("b");
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->Ingest(profiles_, Accept::kProfiles).status, 200);
  size_t half = events_.size() / 2;
  ASSERT_EQ(b->Ingest(Join(events_, 0, half), Accept::kEvents).status, 200);
  WaitCaughtUp({a.get(), b.get()});
  EXPECT_FALSE(b->counts().partitions.empty());
  EXPECT_GT(b->counts().total.actions_written, 0u);
  EXPECT_GT(b->counts().total.snapshots, 0u);
  size_t b_owned = b->counts().partitions.size();
  b->Abandon();  // as a process killed: the group notices when its session times out
  ASSERT_EQ(a->Ingest(Join(events_, half, events_.size()), Accept::kEvents).status, 200);
  MoveClockToTheEnd(*a);
  WaitCaughtUp({a.get()});
  EXPECT_EQ(Written(), Expected());
  NodeCounts counts = a->counts();
  EXPECT_GE(counts.snapshots_restored, b_owned) << "each of b's partitions from its snapshot";
  EXPECT_GT(counts.last_restore_seconds, 0);
  EXPECT_GT(counts.last_takeover_seconds, 0);
  EXPECT_EQ(counts.trouble, "");
}

// Kafka failing under running nodes: a broker stops answering while a
// batch is being written and applied, and comes back; then requests of
// the producers (Produce) and of the consumers (Fetch) fail for a while
// with errors a real cluster answers during a leader change. The nodes
// pause and go on, and the actions are still exactly one engine's, each
// once.
TEST_F(ClusterNodes, ABrokerDownAndRequestErrorsPauseTheNodesAndLoseNothing) {
  auto a = StartNode("a"), b = StartNode("b");
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->Ingest(profiles_, Accept::kProfiles).status, 200);
  size_t third = events_.size() / 3;
  ASSERT_EQ(a->Ingest(Join(events_, 0, third), Accept::kEvents).status, 200);
  ASSERT_EQ(cluster_.Command("down 1"), "ok");
  std::thread up([&] {
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(cluster_.Command("up 1"), "ok");
  });
  // Acknowledged only once the broker is back (the batch waits for it).
  auto started = std::chrono::steady_clock::now();
  IngestResult during = b->Ingest(Join(events_, third, 2 * third), Accept::kEvents);
  auto waited = std::chrono::steady_clock::now() - started;
  up.join();
  ASSERT_EQ(during.status, 200) << during.error;
  EXPECT_GE(waited, 1500ms) << "the batch was acknowledged while a broker it needed was down";
  // Produce (API key 0): NOT_LEADER_FOR_PARTITION (6), REQUEST_TIMED_OUT
  // (7); Fetch (1): NOT_LEADER_FOR_PARTITION.
  ASSERT_EQ(cluster_.Command("errors 0 3 6"), "ok");
  ASSERT_EQ(cluster_.Command("errors 1 4 6"), "ok");
  IngestResult after = a->Ingest(Join(events_, 2 * third, events_.size()), Accept::kEvents);
  ASSERT_EQ(after.status, 200) << after.error;
  ASSERT_EQ(cluster_.Command("errors 0 2 7"), "ok");
  MoveClockToTheEnd(*b);
  WaitCaughtUp({a.get(), b.get()});
  EXPECT_EQ(Written(), Expected());
}

// A reload on one node is published to the control topic with a version
// record to every partition: every partition switches after the first
// half, wherever it runs, and the actions are those of one engine that
// reloaded there.
TEST_F(ClusterNodes, ANewVersionPublishedOnOneNodeIsTakenOverByEveryPartitionAtOnePoint) {
  auto a = StartNode("a"), b = StartNode("b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->first_version(), set_->Fingerprint());
  ASSERT_EQ(a->Ingest(profiles_, Accept::kProfiles).status, 200);
  size_t half = events_.size() / 2;
  ASSERT_EQ(b->Ingest(Join(events_, 0, half), Accept::kEvents).status, 200);
  // The clock at the last event of the first half, as one engine's is.
  auto last = Json::parse(events_[half - 1])["at"].get<std::string>();
  ASSERT_TRUE(a->MoveClock(*ToInstant(compiler::eval::ParseTimestamp(last).AsTimestamp())).ok());
  // Version 2: every e-mail's template is renamed (declared and sent).
  std::vector<std::pair<std::string, std::string>> files = set_->Sources();
  std::vector<std::string> ids;
  for (const auto& [id, t] : set_->ir().templates)
    if (t.channel == "email") ids.push_back(id);
  size_t changed = 0;
  for (auto& [path, text] : files)
    for (const std::string& id : ids)
      for (size_t at = 0; (at = text.find("\"" + id + "\"", at)) != std::string::npos; at += id.size() + 5, ++changed)
        text.insert(at + 1, "v2-");
  ASSERT_GT(changed, 3u);
  auto v2 = Build(files);
  ASSERT_TRUE(v2.ok());
  std::unique_ptr<JourneySet> expected_v2 = std::move(*Build(files));
  std::vector<std::string> not_raised;
  Status published = b->Publish(std::move(*v2), &not_raised);
  ASSERT_TRUE(published.ok()) << published.message();
  // The templates changed, the written version numbers did not: said.
  EXPECT_FALSE(not_raised.empty());
  for (const std::string& name : not_raised) EXPECT_GE(expected_v2->ir().Index(name), 0) << name;
  EXPECT_EQ(b->latest_version(), expected_v2->Fingerprint());
  ASSERT_EQ(a->Ingest(Join(events_, half, events_.size()), Accept::kEvents).status, 200);
  MoveClockToTheEnd(*a);
  WaitCaughtUp({a.get(), b.get()});
  std::multiset<std::string> expected = OneEnginesActions(*set_, expected_v2.get(), half);
  EXPECT_EQ(WrittenActions(settings_.kafka, kPartitions, expected.size()), expected);
  EXPECT_NE(expected, Expected()) << "the new version sends something else";
  EXPECT_EQ(a->counts().total.versions_taken + b->counts().total.versions_taken, static_cast<uint64_t>(kPartitions));
  EXPECT_EQ(a->counts().total.dead_letters + b->counts().total.dead_letters, 0u);
  EXPECT_EQ(a->latest_version(), expected_v2->Fingerprint()) << "a read it from the control topic";
}

// Another producer (any standard client keyed by customer id) writes the
// scenario's profiles and events, each to its key's partition only. The
// partitions write the profiles and the fan-out events on to every other
// partition, once, also after a node dies and its partitions are
// replayed elsewhere; the actions are exactly one engine's. The fan-out
// events are written once the nodes have caught up (a copy reaches the
// other partitions after what was written to them meanwhile: docs/cluster.md).
TEST_F(ClusterNodes, InputsAnotherProducerWritesToOnePartitionReachEveryPartitionOnce) {
  settings_.snapshot_every = 500;
  auto a = StartNode("a"), b = StartNode("b");
  ASSERT_TRUE(a && b);
  auto producer = Producer::Open(settings_.kafka);
  ASSERT_TRUE(producer.ok());
  std::vector<const compiler::ir::Journey*> journeys;
  for (const auto& j : set_->ir().journeys) journeys.push_back(&j);
  // Each line keyed as Tutti keys it, to the partition of its key.
  auto write = [&](const std::vector<std::string>& lines, Accept accept) {
    std::vector<Record> records;
    for (const std::string& line : lines) {
      DecodeResult r = DecodeLine(set_->schemas(), line, 1, {accept});
      ASSERT_TRUE(r.ok()) << line;
      records.push_back({KeyText(r.record().key), line, -1});
    }
    for (const Status& s : (*producer)->Send("tutti.inputs", records, 60s)) ASSERT_TRUE(s.ok()) << s.message();
  };
  auto forwarded = [](const std::vector<Node*>& nodes) {
    uint64_t n = 0;
    for (Node* node : nodes) n += node->counts().total.forwarded;
    return n;
  };
  // Until the partitions that applied them wrote at least `want` on, and
  // the others applied those.
  auto wait_forwarded = [&](const std::vector<Node*>& nodes, uint64_t want) {
    auto deadline = std::chrono::steady_clock::now() + 120s;
    while (forwarded(nodes) < want && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
    ASSERT_GE(forwarded(nodes), want);
    WaitCaughtUp(nodes);
  };
  std::vector<std::string> profiles;
  std::istringstream in(profiles_);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) profiles.push_back(line);
  std::vector<Node*> nodes = {a.get(), b.get()};
  write(profiles, Accept::kProfiles);
  wait_forwarded(nodes, profiles.size());
  EXPECT_EQ(forwarded(nodes), profiles.size()) << "each profile written on once";
  // The events in runs: each fan-out event alone, once the nodes have
  // caught up; b dies half way, and a replays its partitions.
  uint64_t fanned = 0;
  size_t from = 0, half = events_.size() / 2;
  for (size_t i = 0; i < events_.size(); ++i) {
    if (i == half) {
      write({events_.begin() + from, events_.begin() + i}, Accept::kEvents);
      from = i;
      WaitCaughtUp(nodes);
      b->Abandon();  // as a process killed
      nodes = {a.get()};
      WaitCaughtUp(nodes);
    }
    if (!ReachesOthers(journeys, Json::parse(events_[i])["type"].get<std::string>())) continue;
    write({events_.begin() + from, events_.begin() + i}, Accept::kEvents);
    WaitCaughtUp(nodes);
    uint64_t before = forwarded(nodes);
    write({events_[i]}, Accept::kEvents);
    wait_forwarded(nodes, before + 1);
    ++fanned;
    from = i + 1;
  }
  write({events_.begin() + from, events_.end()}, Accept::kEvents);
  EXPECT_GT(fanned, 0u);
  MoveClockToTheEnd(*a);
  WaitCaughtUp({a.get()});
  EXPECT_EQ(Written(), Expected());
  NodeCounts counts = a->counts();
  EXPECT_EQ(counts.trouble, "");
  EXPECT_EQ(counts.total.dead_letters, 0u);
  EXPECT_GE(counts.total.forwarded + b->counts().total.forwarded, profiles.size() + fanned);
  EXPECT_GT(counts.takeovers, 0u);
}

TEST_F(ClusterNodes, AnInputThatDoesNotDecodeIsADeadLetterAndItsPartitionGoesOn) {
  auto a = StartNode("a");
  ASSERT_TRUE(a);
  ASSERT_EQ(a->Ingest(profiles_, Accept::kProfiles).status, 200);
  // Another producer writes a record that is not JSON, one of no known
  // type, and a good event, to one customer's partition.
  std::string customer = "hcp-empire-00017";
  int32_t p = static_cast<int32_t>(KafkaPartitionOf(customer, kPartitions));
  auto producer = Producer::Open(settings_.kafka);
  ASSERT_TRUE(producer.ok());
  std::vector<Record> records = {
      {customer, "not json", p},
      {customer, R"({"type":"no_such_event","hcp":"hcp-empire-00017"})", p},
      {customer, R"({"tutti":"clock","at_ns":"soon"})", p},
      {customer, events_[0], p},
  };
  for (const Status& s : (*producer)->Send("tutti.inputs", records, 30s)) ASSERT_TRUE(s.ok()) << s.message();
  WaitCaughtUp({a.get()});
  NodeCounts counts = a->counts();
  EXPECT_EQ(counts.total.dead_letters, 3u);
  std::vector<Json> letters;
  for (const Record& r : ReadTopic(settings_.kafka, "tutti.dead-letters", kPartitions, 3))
    letters.push_back(Json::parse(r.value));
  ASSERT_EQ(letters.size(), 3u);
  std::sort(letters.begin(), letters.end(), [](auto& x, auto& y) { return x["source_offset"] < y["source_offset"]; });
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(letters[i]["source_partition"], p);
    EXPECT_EQ(letters[i]["source_offset"], records[i].offset);
    EXPECT_NE(letters[i]["reason"].get<std::string>().find_first_not_of(' '), std::string::npos);
    EXPECT_EQ(letters[i]["reason"].get<std::string>().find("soon"), std::string::npos) << "no value quoted";
  }
  // Every profile (copied to each of the node's six partitions) and the
  // good event after the bad records were applied, and nothing else.
  EXPECT_EQ(counts.total.applied, static_cast<uint64_t>(3475 * kPartitions + 1));
  EXPECT_EQ(counts.total.forwarded, 0u) << "the node's profiles went to every partition already";

  // A copy another partition wrote on is applied once, however often a
  // replay of that partition writes it again; an origin header Tutti
  // does not write is refused.
  std::string profile = profiles_.substr(0, profiles_.find('\n'));
  int32_t q = (p + 1) % kPartitions;
  std::vector<Record> copies(4, Record{customer, profile, p});
  copies[0].origin = copies[1].origin = ForwardedOrigin(q, 7);
  copies[2].origin = ForwardedOrigin(q, 3);
  copies[3].origin = "from far away";
  for (const Status& s : (*producer)->Send("tutti.inputs", copies, 30s)) ASSERT_TRUE(s.ok()) << s.message();
  WaitCaughtUp({a.get()});
  NodeCounts after = a->counts();
  EXPECT_EQ(after.total.applied, counts.total.applied + 1);
  EXPECT_EQ(after.total.copies_skipped, 2u);
  EXPECT_EQ(after.total.dead_letters, 4u);
  EXPECT_EQ(after.total.forwarded, 0u);
}

// A partition whose inputs were deleted (retention) before they were
// applied cannot be rebuilt: its node stops it and says so, rather than
// starting from what is left as if nothing were missing; the other
// partitions go on. (The mock cluster keeps at most 5 MiB of a partition:
// more than that deletes its oldest records.)
TEST(ClusterNode, InputsDeletedBeforeTheyWereAppliedStopTheirPartitionAndSaySo) {
  MockCluster cluster(1, 2);
  auto set = ReferenceJourneys();
  ASSERT_NE(set, nullptr);
  PartitionSettings settings;
  settings.kafka.brokers = cluster.brokers();
  settings.virtual_clock = true;
  {
    auto producer = Producer::Open(settings.kafka);
    ASSERT_TRUE(producer.ok());
    std::vector<Record> big;
    for (int i = 0; i < 120; ++i) big.push_back({"k", std::string(60000, 'x'), 0});
    for (const Status& s : (*producer)->Send("tutti.inputs", big, 60s)) ASSERT_TRUE(s.ok()) << s.message();
  }
  auto node = Node::Start(settings, "a", *set, nullptr);
  ASSERT_TRUE(node.ok()) << node.status().message();
  ASSERT_EQ((*node)->Ingest(ScenarioFile("profiles.ndjson"), Accept::kProfiles).status, 200);
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (((*node)->counts().trouble.find("no longer holds") == std::string::npos ||
          (*node)->counts().total.applied == 0) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  NodeCounts counts = (*node)->counts();
  EXPECT_NE(counts.trouble.find("partition 0 of tutti.inputs no longer holds the records to read from offset 0"),
            std::string::npos)
      << counts.trouble;
  EXPECT_GT(counts.total.applied, 0u) << "partition 1 goes on";
  EXPECT_EQ(counts.total.dead_letters, 0u) << "partition 0 read what was left as if nothing were missing";
  EXPECT_FALSE((*node)->CaughtUp());
}

// On the system clock an event without `at` happens when it arrives, its
// send settles at the partition's next clock record (also when the event
// came less than a tick after the last one), and an idle partition gets
// no clock records at all.
TEST(ClusterNode, OnTheSystemClockSendsSettleAndIdlePartitionsStayQuiet) {
  MockCluster cluster(1, 2);
  compiler::DiagnosticSink sink;
  auto set = JourneySet::FromText({{"hello.tutti", R"(
profile doctor {
  id: string key
}
event seen keyed by doctor {
  doctor: string
}
channel letter { kind message  to doctor }
journey hello {
  on seen as s
  send letter "hello"
}
)"}}, kSource + "/stdlib", sink);
  ASSERT_NE(set, nullptr) << compiler::RenderText(sink.Sorted());
  PartitionSettings settings;
  settings.kafka.brokers = cluster.brokers();
  settings.tick = std::chrono::milliseconds(3000);
  // As ClusterNodes: a hop through a topic in milliseconds.
  settings.kafka.librdkafka = {{"fetch.wait.max.ms", "10"}};
  auto node = Node::Start(settings, "a", *set, nullptr);
  ASSERT_TRUE(node.ok()) << node.status().message();
  // A second doctor on d1's partition.
  std::string other = "d2";
  for (int i = 3; KafkaPartitionOf(other, 2) != KafkaPartitionOf("d1", 2); ++i) other = "d" + std::to_string(i);
  ASSERT_EQ((*node)->Ingest(R"({"type":"doctor","id":"d1"})"
                            "\n"
                            R"({"type":"doctor","id":")" + other + R"("})",
                            Accept::kProfiles)
                .status,
            200);
  auto written_reaches = [&](uint64_t n) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while ((*node)->counts().total.actions_written < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    return (*node)->counts().total.actions_written;
  };
  ASSERT_EQ((*node)->Ingest(R"({"type":"seen","doctor":"d1"})", Accept::kEvents).status, 200);
  ASSERT_EQ(written_reaches(1), 1u);
  // Right after the clock record that settled d1's send: well within a tick.
  ASSERT_EQ((*node)->Ingest(R"({"type":"seen","doctor":")" + other + R"("})", Accept::kEvents).status, 200);
  ASSERT_EQ(written_reaches(2), 2u) << "a send made less than a tick after the last clock record never settled";
  std::this_thread::sleep_for(500ms);
  uint64_t applied = (*node)->counts().total.applied;
  std::this_thread::sleep_for(1s);
  EXPECT_EQ((*node)->counts().total.applied, applied) << "clock records for a partition with nothing to do";
  std::multiset<std::string> written = WrittenActions(settings.kafka, 2, 2);
  ASSERT_EQ(written.size(), 2u);
  EXPECT_NE(written.begin()->find(" hello"), std::string::npos) << *written.begin();
}

// A partition keeps, in its snapshot, which copies of other partitions'
// inputs it applied: the node that restores it skips a copy written
// again after the snapshot (a replay of the partition that wrote it on).
TEST(ClusterNode, ACopyAppliedBeforeASnapshotIsSkippedAfterItIsRestored) {
  MockCluster cluster(1, 2);
  auto set = ReferenceJourneys();
  ASSERT_NE(set, nullptr);
  PartitionSettings settings;
  settings.kafka.brokers = cluster.brokers();
  // As ClusterNodes: the group gives a's partitions to c within seconds.
  settings.kafka.librdkafka = {
      {"session.timeout.ms", "3000"}, {"heartbeat.interval.ms", "300"}, {"fetch.wait.max.ms", "10"}};
  settings.virtual_clock = true;
  settings.snapshot_every = 1;
  auto producer = Producer::Open(settings.kafka);
  ASSERT_TRUE(producer.ok());
  std::string profile = ScenarioFile("profiles.ndjson");
  profile = profile.substr(0, profile.find('\n'));
  // Copies of partition 1's inputs at offsets `offsets`, written on to partition 0.
  auto copies = [&](std::vector<int64_t> offsets) {
    std::vector<Record> records;
    for (int64_t o : offsets) {
      records.push_back({"k", profile, 0});
      records.back().origin = ForwardedOrigin(1, o);
    }
    for (const Status& s : (*producer)->Send("tutti.inputs", records, 30s)) ASSERT_TRUE(s.ok()) << s.message();
  };
  auto caught_up = [](Node& node) {
    uint64_t checks = node.end_checks() + 2;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while ((node.counts().partitions.size() < 2 || node.end_checks() < checks || !node.CaughtUp()) &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    return node.CaughtUp();
  };
  {
    auto a = Node::Start(settings, "a", *set, nullptr);
    ASSERT_TRUE(a.ok()) << a.status().message();
    copies({7});
    ASSERT_TRUE(caught_up(**a));
    EXPECT_EQ((*a)->counts().total.applied, 1u);
    EXPECT_GE((*a)->counts().total.snapshots, 1u);
  }  // a leaves the group
  auto c = Node::Start(settings, "c", *set, nullptr);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(caught_up(**c)) << (*c)->counts().partitions.size() << " partitions, lag " << (*c)->lag() << ", "
                              << (*c)->counts().trouble;
  EXPECT_GE((*c)->counts().snapshots_restored, 1u);
  copies({7, 8});
  ASSERT_TRUE(caught_up(**c));
  NodeCounts counts = (*c)->counts();
  EXPECT_EQ(counts.total.copies_skipped, 1u) << "the copy of offset 7, applied before the snapshot";
  EXPECT_EQ(counts.total.applied, 1u) << "the copy of offset 8";
}

// A read waits for the node's thread only so long: while that thread is
// held (here by a read of every partition that takes 5 s; in production,
// a Kafka call such as a commit or a takeover), a read of one partition
// is answered as not here after `read_wait`, on another thread; the node
// then answers reads itself again.
TEST_F(ClusterNodes, AReadThatWaitsTooLongForTheNodesThreadIsAnsweredAsNotHere) {
  settings_.read_wait = 1s;
  // librdkafka's own fetch wait (500 ms), which a question on the
  // consumer's connection waits behind: the node's end checks (where its
  // partitions end) are asked on a client of their own, and never hold
  // its thread, so reads are answered at once.
  settings_.kafka.librdkafka.erase("fetch.wait.max.ms");
  auto node = StartNode("a");
  ASSERT_TRUE(node);
  WaitCaughtUp({node.get()});
  for (int i = 0; i < 20; ++i) {
    std::promise<std::string> given;
    node->Read(i % kPartitions, [&](const Engine* engine, const std::string& why) { given.set_value(engine ? "" : why); });
    EXPECT_EQ(given.get_future().get(), "");
    std::this_thread::sleep_for(37ms);
  }
  EXPECT_EQ(node->counts().reads_late, 0u);
  std::promise<void> holding;
  std::atomic<bool> held{true};
  node->ReadAll([&](const std::map<int32_t, const Engine*>&) {
    holding.set_value();
    std::this_thread::sleep_for(5s);
    held = false;
  });
  holding.get_future().wait();
  std::promise<std::pair<bool, std::string>> answered;
  node->Read(0, [&](const Engine* engine, const std::string& why) {
    answered.set_value({held.load(), engine == nullptr ? why : ""});
  });
  auto [while_held, why] = answered.get_future().get();
  EXPECT_TRUE(while_held) << "answered only once the node's thread was free again";
  EXPECT_NE(why.find("is busy"), std::string::npos) << why;
  EXPECT_EQ(node->counts().reads_late, 1u);
  // Free again: the node's thread answers with the partition's engine.
  while (held) std::this_thread::sleep_for(20ms);
  std::promise<std::string> engine_given;
  node->Read(0, [&](const Engine* engine, const std::string& why) { engine_given.set_value(engine ? "" : why); });
  EXPECT_EQ(engine_given.get_future().get(), "");
  node->StopReads();
}

TEST_F(ClusterNodes, ANodeThatOnlyDeliversActionsIsAmongThoseAskedForThem) {
  // The delivery group gives the actions topic's partitions out apart from
  // the inputs': with more nodes than partitions, a node may run none and
  // deliver some. The reads of actions ask every node the announcements
  // name, for either.
  auto a = StartNode("a");
  ASSERT_TRUE(a);
  a->Advertise("127.0.0.1:1");
  a->Delivers({0, 1, 2});
  auto members = [&] {
    std::map<std::string, std::pair<std::vector<int32_t>, std::vector<int32_t>>> out;
    for (const Member& m : a->Holders()) out[m.node] = {m.partitions, m.deliveries};
    return out;
  };
  auto wait_for = [&](const std::map<std::string, std::pair<std::vector<int32_t>, std::vector<int32_t>>>& want) {
    for (int i = 0; i < 300 && members() != want; ++i) std::this_thread::sleep_for(100ms);
    EXPECT_EQ(members(), want);
  };
  const std::vector<int32_t> all = {0, 1, 2, 3, 4, 5};
  wait_for({{"a", {all, {0, 1, 2}}}});
  // Node b, which runs no partition, delivers the other three.
  auto producer = Producer::Open(settings_.kafka);
  ASSERT_TRUE(producer.ok()) << producer.status().message();
  std::vector<Record> announced = {{"b", MemberValue(Member{"b", "127.0.0.1:2", {}, {3, 4, 5}}), 0}};
  ASSERT_TRUE((*producer)->Send(settings_.topics.control, announced, 30s).front().ok());
  wait_for({{"a", {all, {0, 1, 2}}}, {"b", {{}, {3, 4, 5}}}});
  ASSERT_EQ(a->Owners().size(), 1u) << "the reads of partitions ask the nodes that run them only";
  EXPECT_EQ(a->Owners()[0].node, "a");
  // b gone, a delivers its share: the newest announcement naming a
  // partition says who delivers it, and b is asked no more.
  a->Delivers(all);
  wait_for({{"a", {all, all}}});
}

}  // namespace
}  // namespace tutti::runtime::cluster
