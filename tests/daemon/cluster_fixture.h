#pragma once
// `tutti serve` nodes of a cluster in a test: the configuration that makes
// them nodes of a mock cluster (tests/cluster/mock_cluster.h), and a wait
// until they have taken every partition and applied what was written.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/daemon/daemon_fixture.h"

namespace tutti::testing {

/// The partitions of the mock cluster's topics in these tests.
constexpr int kClusterPartitions = 6;

/// Waits until `nodes` own every partition between them, each caught up.
inline void WaitCaughtUp(const std::vector<Daemon*>& nodes) {
  // An answer from a check that began after what the caller wrote.
  std::vector<double> checks;
  for (Daemon* d : nodes) checks.push_back(Metric(*d, "tutti_cluster_end_checks") + 2);
  for (int i = 0; i < 1200; ++i) {
    double owned = 0;
    bool caught_up = true;
    for (size_t k = 0; k < nodes.size(); ++k) {
      owned += Metric(*nodes[k], "tutti_cluster_partitions_owned");
      caught_up = caught_up && Metric(*nodes[k], "tutti_cluster_end_checks") >= checks[k] &&
                  Metric(*nodes[k], "tutti_cluster_caught_up") == 1;
    }
    if (owned == kClusterPartitions && caught_up) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << "the nodes did not take every partition and catch up";
}

/// Writes DIR/cluster.json, the config of a node of the mock cluster at
/// `brokers`, with `more` (", \"key\": value ...") after its kafka object.
inline std::string ClusterConfig(const std::filesystem::path& dir, const std::string& brokers,
                                 const std::string& more = "") {
  std::filesystem::path path = dir / "cluster.json";
  // A node killed is noticed within seconds, not the default 45. The mock
  // cluster holds a fetch that finds nothing for several times
  // fetch.wait.max.ms, even when a record comes meanwhile (a real broker
  // answers then): at the default 500 ms each hop through a topic takes
  // seconds there.
  std::ofstream(path) << R"({"kafka": {"brokers": ")" << brokers
                      << R"(", "librdkafka": {"session.timeout.ms": 3000, "heartbeat.interval.ms": 300, )"
                      << R"("fetch.wait.max.ms": 10}})" << more << "}";
  return path.string();
}

}  // namespace tutti::testing
