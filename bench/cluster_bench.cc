// The cluster (runtime/cluster/node.h) on one machine: nodes in this
// process against librdkafka's mock cluster (tests/cluster/kafka_mock.cc,
// a child process, three brokers, six partitions), on the reference
// journeys. For each number of nodes, in one run:
//
//   profiles   the scenario's 3,475 profiles written through a node (each
//              copied to every partition), until every partition has
//              applied them
//   events     the scenario's events, --copies times (copy k shifted k x
//              120 days, so that each copy meets the timers of the last
//              one ended), written in batches of 500 through the nodes in
//              turn, then the clock moved past the last, until caught up:
//              the actions written per second (most come from the timers
//              the clock move fires, about 14 per input record)
//   takeover   (two nodes or more) the last node abandoned as a killed one
//              is: from its session's end (6 s) until the others have
//              restored and replayed its partitions; with a snapshot every
//              --snapshot-every inputs per partition
//
// The mock cluster is librdkafka's test double, in one process, with no
// disk: the figures compare node counts and show where the time goes,
// they do not predict a real cluster's. The machine has two cores: three
// nodes and the mock share them.
//
//   latency    (--latency=N) instead of the above: N events one at a
//              time, each from its write until its action is readable in
//              tutti.actions (p50, p99), with the system clock's tick at
//              200 ms (the default) and 20 ms; --fetch-wait-ms sets the
//              consumers' fetch.wait.max.ms (the mock cluster holds an
//              empty fetch for several times it: at the default 500 ms
//              each hop through a topic takes seconds there, not on a
//              real broker, which answers a waiting fetch when data comes)
//
//   restore    (--restore=N) instead of the above: a partition's state
//              holding N waiting instances, cut into snapshot chunks and
//              restored from them (RestoreBench; without Kafka)
//
//   ./build/bench/cluster_bench [--nodes=1,2,3] [--copies=10] [--snapshot-every=5000]
//                               [--latency=N [--fetch-wait-ms=MS]] [--restore=N]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/source/diagnostic.h"
#include "runtime/cluster/node.h"
#include "runtime/cluster/topic_records.h"
#include "runtime/engine/journey_set.h"
#include "runtime/engine/partition.h"
#include "tests/cluster/mock_cluster.h"
#include "tests/cluster/scenario.h"

using namespace tutti;
using namespace tutti::runtime;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kPartitions = 6;

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

bool WaitCaughtUp(const std::vector<cluster::Node*>& nodes, std::chrono::seconds limit = 600s) {
  auto deadline = Clock::now() + limit;
  std::vector<uint64_t> checks;  // an answer from a check begun after the call
  for (cluster::Node* n : nodes) checks.push_back(n->end_checks() + 2);
  while (Clock::now() < deadline) {
    size_t owned = 0;
    bool caught_up = true;
    for (size_t i = 0; i < nodes.size(); ++i) {
      owned += nodes[i]->counts().partitions.size();
      caught_up = caught_up && nodes[i]->end_checks() >= checks[i] && nodes[i]->CaughtUp();
    }
    if (owned == kPartitions && caught_up) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

uint64_t Applied(const std::vector<std::unique_ptr<cluster::Node>>& nodes) {
  uint64_t n = 0;
  for (const auto& node : nodes) n += node->counts().total.applied;
  return n;
}

/// `count` nodes named PREFIX0, PREFIX1, ... running `set` (and versions
/// published later, compiled).
std::vector<std::unique_ptr<cluster::Node>> StartNodes(const cluster::PartitionSettings& settings, int count,
                                                       const std::string& prefix, const JourneySet& set) {
  std::vector<std::unique_ptr<cluster::Node>> nodes;
  for (int i = 0; i < count; ++i) {
    auto build = [](const std::vector<std::pair<std::string, std::string>>& files)
        -> Result<std::unique_ptr<JourneySet>> {
      compiler::DiagnosticSink sink;
      auto built = JourneySet::FromText(files, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
      if (built == nullptr) return Status::Invalid("does not check");
      TUTTI_TRY(built->Compile());
      return built;
    };
    auto node = cluster::Node::Start(settings, prefix + std::to_string(i), set, build);
    if (!node.ok()) {
      std::fprintf(stderr, "cluster_bench: %s\n", node.status().message().c_str());
      std::exit(1);
    }
    nodes.push_back(std::move(*node));
  }
  return nodes;
}

/// The scenario's events `copies` times, copy k shifted by k x 120 days.
std::vector<std::string> Events(int copies, Instant* last) {
  std::vector<std::string> base = tutti::testing::ScenarioEvents(), out;
  *last = 0;
  for (int k = 0; k < copies; ++k)
    for (const std::string& line : base) {
      nlohmann::json j = nlohmann::json::parse(line);
      auto at = ToInstant(compiler::eval::ParseTimestamp(j["at"].get<std::string>()).AsTimestamp());
      Instant shifted = *at + k * 120 * kNanosPerDay;
      *last = std::max(*last, shifted);
      j["at"] = compiler::eval::FormatTimestamp(ToTimestamp(shifted));
      out.push_back(j.dump());
    }
  return out;
}

void Run(int node_count, int copies, uint64_t snapshot_every, const JourneySet& set) {
  tutti::testing::MockCluster kafka(3, kPartitions);
  cluster::PartitionSettings settings;
  settings.kafka.brokers = kafka.brokers();
  settings.kafka.librdkafka = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
  settings.virtual_clock = true;
  settings.snapshot_every = snapshot_every;
  std::vector<std::unique_ptr<cluster::Node>> nodes = StartNodes(settings, node_count, "bench-", set);
  std::vector<cluster::Node*> all;
  for (auto& n : nodes) all.push_back(n.get());
  WaitCaughtUp(all);

  auto started = Clock::now();
  IngestResult profiles = nodes[0]->Ingest(tutti::testing::ScenarioFile("profiles.ndjson"), Accept::kProfiles);
  if (profiles.status != 200) std::exit(1);
  WaitCaughtUp(all);
  double profiles_s = Since(started);
  uint64_t applied_before = Applied(nodes);

  Instant last = 0;
  std::vector<std::string> events = Events(copies, &last);
  started = Clock::now();
  for (size_t i = 0, turn = 0; i < events.size(); i += 500, ++turn) {
    IngestResult r = nodes[turn % nodes.size()]->Ingest(tutti::testing::JoinLines(events, i, std::min(events.size(), i + 500)),
                                                       Accept::kEvents);
    if (r.status != 200) std::exit(1);
  }
  double written_s = Since(started);
  if (!nodes[0]->MoveClock(last + 30 * kNanosPerDay).ok()) std::exit(1);
  if (!WaitCaughtUp(all)) std::fprintf(stderr, "cluster_bench: not caught up\n");
  double events_s = Since(started);
  uint64_t applied = Applied(nodes) - applied_before;
  uint64_t actions = 0;
  for (auto& n : nodes) actions += n->counts().total.actions_written;

  std::string takeover = "-";
  if (node_count >= 2) {
    size_t moved = nodes.back()->counts().partitions.size();
    nodes.back()->Abandon();
    nodes.pop_back();
    all.pop_back();
    started = Clock::now();
    WaitCaughtUp(all);
    double restore = 0, replay = 0;
    for (auto& n : nodes) {
      restore = std::max(restore, n->counts().last_restore_seconds);
      replay = std::max(replay, n->counts().last_takeover_seconds);
    }
    char text[200];
    std::snprintf(text, sizeof text,
                  "%.1f s for %zu partitions (of which: session end ~6 s; from assignment to caught up %.2f s, "
                  "snapshot restore %.2f s)",
                  Since(started), moved, replay, restore);
    takeover = text;
  }
  uint64_t profile_records = 3475ull * kPartitions;
  std::printf("%d node(s): profiles %.1f s (%.0f records/s); events: %zu written in %.1f s, applied with the clock "
              "move in %.1f s: %llu input records, %llu actions (%.0f actions/s); takeover %s\n",
              node_count, profiles_s, profile_records / profiles_s, events.size(), written_s, events_s,
              static_cast<unsigned long long>(applied), static_cast<unsigned long long>(actions), actions / events_s,
              takeover.c_str());
  std::fflush(stdout);
}

/// Latency: one `ping` at a time (bench/daemon's echo journey sends an
/// e-mail the moment its event arrives), from the call that writes it to
/// tutti.inputs until its action can be read from tutti.actions, on the
/// system clock (a send is settled by the partition's next clock record:
/// `tick` bounds the wait for it).
void Latency(int node_count, int samples, std::chrono::milliseconds tick, int fetch_wait_ms, const JourneySet& set) {
  tutti::testing::MockCluster kafka(3, kPartitions);
  cluster::PartitionSettings settings;
  settings.kafka.brokers = kafka.brokers();
  settings.tick = tick;
  if (fetch_wait_ms > 0) settings.kafka.librdkafka["fetch.wait.max.ms"] = std::to_string(fetch_wait_ms);
  std::vector<std::unique_ptr<cluster::Node>> nodes = StartNodes(settings, node_count, "latency-", set);
  std::vector<cluster::Node*> all;
  for (auto& n : nodes) all.push_back(n.get());
  std::string profiles;
  for (int i = 0; i < 64; ++i)
    profiles += R"({"type": "hcp", "id": "h)" + std::to_string(i) + R"(", "name": "n", "rep": "r", "timezone": "UTC"})" "\n";
  if (nodes[0]->Ingest(profiles, Accept::kProfiles).status != 200 || !WaitCaughtUp(all)) std::exit(1);
  // One reader per partition of the actions, from its end.
  std::vector<std::unique_ptr<cluster::Reader>> readers;
  for (int p = 0; p < kPartitions; ++p) {
    auto first = cluster::Reader::Open(settings.kafka, settings.topics.actions, p, 0);
    if (!first.ok()) std::exit(1);
    auto end = (*first)->End(10s);
    if (!end.ok()) std::exit(1);
    auto reader = cluster::Reader::Open(settings.kafka, settings.topics.actions, p, *end);
    if (!reader.ok()) std::exit(1);
    readers.push_back(std::move(*reader));
  }
  std::vector<double> ms;
  for (int i = 0; i < samples; ++i) {
    std::string customer = "h" + std::to_string(i % 64);
    uint32_t p = KafkaPartitionOf(customer, kPartitions);
    auto sent = Clock::now();
    std::string ping = R"({"type": "ping", "hcp": ")" + customer + "\"}\n";
    if (nodes[i % nodes.size()]->Ingest(ping, Accept::kEvents).status != 200) std::exit(1);
    for (bool seen = false; !seen;) {
      auto got = readers[p]->Next(100, 1ms);
      if (!got.ok()) std::exit(1);
      for (const cluster::Record& r : *got) seen = seen || r.value.find("\"" + customer + "\"") != std::string::npos;
      if (Since(sent) > 30) std::exit(1);
    }
    ms.push_back(Since(sent) * 1000);
  }
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))]; };
  std::printf("%d node(s), tick %lld ms, fetch.wait.max.ms %s: latency from write to action readable, %d samples: "
              "p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
              node_count, static_cast<long long>(tick.count()),
              fetch_wait_ms > 0 ? std::to_string(fetch_wait_ms).c_str() : "500 (default)", samples, at(0.5), at(0.99),
              ms.back());
  std::fflush(stdout);
}

/// Restore: the part of a takeover that grows with a partition's state.
/// One partition's engine holding `instances` waiting journey instances
/// (bench/daemon's waiter journey, `reentry always`: one instance per
/// rx_written event, over 1,000 prescribers) is saved and cut into the
/// snapshots topic's chunks, as a node writes them; then the chunks are
/// read back, joined and restored into a new engine, as a node taking the
/// partition over does, timed. Kafka is left out: the mock cluster keeps
/// at most 5 MiB of each partition (it drops older records), far less than
/// this state, so the time to fetch the chunks from a real cluster is
/// added from their size (docs/performance.md).
void RestoreBench(uint64_t instances, const JourneySet& set) {
  EngineOptions options;
  options.kafka_partitions = true;  // one partition of one: it owns everyone
  auto engine = set.NewEngine(options);
  auto apply = [&](const std::string& line) {
    cluster::Input in = cluster::ReadInput(set.schemas(), line, engine->now());
    if (in.kind != cluster::Input::Kind::kRecord) std::exit(1);
    if (in.record.kind() == RecordKind::kEvent) engine->Ingest(in.record);
    else engine->UpsertProfile(in.record);
  };
  constexpr int kPrescribers = 1000;
  for (int i = 0; i < kPrescribers; ++i)
    apply(R"({"type": "hcp", "id": "h)" + std::to_string(i) + R"(", "name": "n", "rep": "r", "timezone": "UTC"})");
  for (uint64_t i = 0; i < instances; ++i)
    apply(R"({"type": "rx_written", "hcp": "h)" + std::to_string(i % kPrescribers) + R"(", "brand": "W", "amount": 20})");
  engine->AdvanceTo(engine->now() + 1);  // settled, as after a batch
  auto started = Clock::now();
  std::string state = engine->Save();
  std::vector<cluster::Record> chunks =
      cluster::SnapshotRecords(0, static_cast<int64_t>(instances), set.Fingerprint(), {set.Fingerprint()}, state,
                               512 << 10, 0);
  double save_s = Since(started);
  started = Clock::now();
  std::string joined;
  for (const cluster::Record& r : chunks) {
    auto chunk = cluster::ReadSnapshotChunk(r.value);
    if (!chunk) std::exit(1);
    joined += chunk->bytes;
  }
  auto restored = set.NewEngine(options);
  if (!restored->Restore(joined).ok()) std::exit(1);
  double restore_s = Since(started);
  std::printf("restore: a partition of %llu waiting instances: state %.1f MiB in %zu chunks of 512 KiB; saved and "
              "cut in %.2f s; chunks read, joined and restored in %.2f s\n",
              static_cast<unsigned long long>(instances), state.size() / 1048576.0, chunks.size(), save_s, restore_s);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> node_counts = {1, 2, 3};
  int copies = 10;
  uint64_t snapshot_every = 5000;
  int latency_samples = 0, fetch_wait_ms = 0;
  uint64_t restore_instances = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--nodes=", 0) == 0) {
      node_counts.clear();
      std::stringstream list(a.substr(8));
      for (std::string n; std::getline(list, n, ',');) node_counts.push_back(std::stoi(n));
    } else if (a.rfind("--copies=", 0) == 0) {
      copies = std::stoi(a.substr(9));
    } else if (a.rfind("--snapshot-every=", 0) == 0) {
      snapshot_every = std::stoull(a.substr(17));
    } else if (a.rfind("--latency=", 0) == 0) {
      latency_samples = std::stoi(a.substr(10));
    } else if (a.rfind("--restore=", 0) == 0) {
      restore_instances = std::stoull(a.substr(10));
    } else if (a.rfind("--fetch-wait-ms=", 0) == 0) {
      fetch_wait_ms = std::stoi(a.substr(16));
    } else {
      std::fprintf(stderr,
                   "usage: cluster_bench [--nodes=1,2,3] [--copies=10] [--snapshot-every=5000] [--latency=SAMPLES "
                   "[--fetch-wait-ms=MS]] [--restore=INSTANCES]\n");
      return 2;
    }
  }
  compiler::DiagnosticSink sink;
  auto set = JourneySet::Load({std::string(TUTTI_SOURCE_DIR) + "/journeys"}, std::string(TUTTI_SOURCE_DIR) + "/stdlib",
                              sink);
  if (set == nullptr || !set->Compile().ok()) return 1;
  if (latency_samples > 0 || restore_instances > 0) {
    auto bench = JourneySet::Load({std::string(TUTTI_SOURCE_DIR) + "/bench/daemon"},
                                  std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
    if (bench == nullptr || !bench->Compile().ok()) return 1;
    if (restore_instances > 0) RestoreBench(restore_instances, *bench);
    for (int n : latency_samples > 0 ? node_counts : std::vector<int>{})
      for (auto tick : {200ms, 20ms}) Latency(n, latency_samples, tick, fetch_wait_ms, *bench);
    return 0;
  }
  for (int n : node_counts) Run(n, copies, snapshot_every, *set);
}
