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
//   ./build/bench/cluster_bench [--nodes=1,2,3] [--copies=10] [--snapshot-every=5000]

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
#include "runtime/engine/journey_set.h"
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
  std::vector<std::unique_ptr<cluster::Node>> nodes;
  for (int i = 0; i < node_count; ++i) {
    auto build = [](const std::vector<std::pair<std::string, std::string>>& files)
        -> Result<std::unique_ptr<JourneySet>> {
      compiler::DiagnosticSink sink;
      auto built = JourneySet::FromText(files, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
      if (built == nullptr) return Status::Invalid("does not check");
      TUTTI_TRY(built->Compile());
      return built;
    };
    auto node = cluster::Node::Start(settings, "bench-" + std::to_string(i), set, build);
    if (!node.ok()) {
      std::fprintf(stderr, "cluster_bench: %s\n", node.status().message().c_str());
      std::exit(1);
    }
    nodes.push_back(std::move(*node));
  }
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

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> node_counts = {1, 2, 3};
  int copies = 10;
  uint64_t snapshot_every = 5000;
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
    } else {
      std::fprintf(stderr, "usage: cluster_bench [--nodes=1,2,3] [--copies=10] [--snapshot-every=5000]\n");
      return 2;
    }
  }
  compiler::DiagnosticSink sink;
  auto set = JourneySet::Load({std::string(TUTTI_SOURCE_DIR) + "/journeys"}, std::string(TUTTI_SOURCE_DIR) + "/stdlib",
                              sink);
  if (set == nullptr || !set->Compile().ok()) return 1;
  for (int n : node_counts) Run(n, copies, snapshot_every, *set);
}
