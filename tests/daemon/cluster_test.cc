// `tutti serve` as nodes of a Kafka cluster (docs/cluster.md), end to end,
// against a mock cluster the test starts: two daemons share the
// partitions; inputs posted to either, or streamed to its streaming port,
// are acknowledged once Kafka has them; one daemon killed with SIGKILL has its partitions taken over by
// the other; and the actions in tutti.actions are then exactly those one
// engine makes from the same inputs, each once. What the cluster does not
// serve yet is refused with 501, and settings that cannot hold on a
// cluster stop the start with the reason.

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "compiler/source/diagnostic.h"
#include "tests/cluster/mock_cluster.h"
#include "tests/cluster/scenario.h"
#include "tests/daemon/daemon_fixture.h"

namespace {

using namespace tutti::testing;
namespace fs = std::filesystem;

constexpr int kPartitions = 6;

double Metric(Daemon& d, const std::string& name) {
  std::string metrics = d.Curl("GET", "/metrics");
  size_t at = metrics.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(metrics.substr(at + name.size() + 2));
}

/// Waits until `nodes` own every partition between them, each caught up.
void WaitCaughtUp(const std::vector<Daemon*>& nodes) {
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
    if (owned == kPartitions && caught_up) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << "the nodes did not take every partition and catch up";
}

std::string ClusterConfig(const fs::path& dir, const std::string& brokers, const std::string& more = "") {
  fs::path path = dir / "cluster.json";
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

TEST(Cluster, TwoServeNodesShareThePartitionsAndOneKilledLosesNothing) {
  MockCluster cluster(3, kPartitions);
  fs::path dir = FreshDir("cluster");
  std::string config =
      ClusterConfig(dir, cluster.brokers(), R"(, "stream_listen": "127.0.0.1:0", "ingest_token": "in-secret")");
  Daemon a(dir / "a", {"--config", config, "--engine", "interp"}, Source("journeys"), "");
  Daemon b(dir / "b", {"--config", config, "--engine", "interp"}, Source("journeys"), "");
  const std::string ndjson = "-H 'Content-Type: application/x-ndjson' -H 'Authorization: Bearer in-secret'";
  std::string posted = a.Curl("POST", "/v1/profiles", Source("examples/abc-pharma/profiles.ndjson"), ndjson);
  ASSERT_EQ(posted.substr(0, 3), "200") << posted.substr(0, 300);
  std::vector<std::string> events = ScenarioEvents();
  size_t half = events.size() / 2;
  std::ofstream(dir / "first.ndjson") << JoinLines(events, 0, half);
  std::ofstream(dir / "rest.ndjson") << JoinLines(events, half, events.size());
  posted = b.Curl("POST", "/v1/events", (dir / "first.ndjson").string(), ndjson);
  ASSERT_EQ(posted.substr(0, 3), "200") << posted.substr(0, 300);
  WaitCaughtUp({&a, &b});
  EXPECT_GT(Metric(b, "tutti_cluster_partitions_owned"), 0);
  EXPECT_EQ(b.Curl("GET", "/readyz").substr(0, 3), "200");

  b.Kill(SIGKILL);
  {
    // The rest through a's streaming port: each batch acknowledged once
    // Kafka has it.
    ASSERT_NE(a.StreamPort(), 0);
    Connection stream(a.StreamPort());
    ASSERT_TRUE(stream.connected());
    stream.Send("{\"token\": \"in-secret\"}\n" + JoinLines(events, half, events.size()));
    size_t accepted = 0, last = 0, lines = 1 + events.size() - half;
    while (last < lines) {
      auto ack = nlohmann::json::parse(stream.ReadLine(), nullptr, false);
      ASSERT_TRUE(ack.is_object());
      accepted += ack["accepted"].get<size_t>();
      last = ack["lines"][1];
    }
    ASSERT_EQ(accepted, events.size() - half);
  }
  std::ofstream(dir / "clock.json") << R"({"to": ")" << kScenarioUntil << R"("})";
  posted = a.Curl("POST", "/v1/clock", (dir / "clock.json").string());
  ASSERT_EQ(posted.substr(0, 3), "200") << posted;
  WaitCaughtUp({&a});

  tutti::compiler::DiagnosticSink sink;
  auto set = tutti::runtime::JourneySet::Load({Source("journeys")}, Source("stdlib"), sink);
  ASSERT_NE(set, nullptr);
  std::multiset<std::string> expected = OneEnginesActions(*set);
  EXPECT_EQ(WrittenActions({cluster.brokers(), {}}, kPartitions, expected.size()), expected);
  EXPECT_GT(Metric(a, "tutti_cluster_actions_skipped"), 0) << "b's partitions were replayed, their actions skipped";
  EXPECT_GT(Metric(a, "tutti_cluster_takeover_seconds"), 0);
  EXPECT_EQ(a.Curl("GET", "/readyz").substr(0, 3), "200");
  EXPECT_EQ(a.Curl("GET", "/v1/actions").substr(0, 3), "501");
  // A reload publishes the folder's version (unchanged here) to the cluster.
  std::string reloaded = a.Curl("POST", "/v1/journeys/reload");
  EXPECT_EQ(reloaded.substr(0, 3), "200") << reloaded;
  EXPECT_NE(reloaded.find("\"published\""), std::string::npos) << reloaded;
  EXPECT_EQ(a.Kill(SIGTERM), 0);
}

/// The idempotency keys a webhook_receiver.py log shows answered 200.
std::set<std::string> Delivered(const fs::path& log) {
  std::set<std::string> keys;
  std::istringstream lines(ReadFile(log));
  for (std::string key, attempt, status; lines >> key >> attempt >> status;)
    if (status == "200") keys.insert(key);
  return keys;
}

/// Waits up to a minute until `log` shows `n` keys delivered.
std::set<std::string> WaitDelivered(const fs::path& log, size_t n) {
  for (int i = 0; i < 600 && Delivered(log).size() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return Delivered(log);
}

/// `n` hook events for prescribers h0..h7, as NDJSON in `path`.
std::string Hooks(const fs::path& path, int n) {
  std::ofstream out(path);
  for (int i = 0; i < n; ++i) out << R"({"type": "hook", "hcp": "h)" << i % 8 << "\"}\n";
  return path.string();
}

TEST(Cluster, ActionsAreDeliveredFromTheActionsTopicAndTheirOutcomesComeBack) {
  // Webhooks on a cluster: each node delivers its share of tutti.actions;
  // the receiver fails every key's first attempt, so each is retried, then
  // delivered; each outcome comes back as an action_delivered event through
  // tutti.inputs. A node killed mid-way has its share delivered by the
  // other: every action reaches the receiver, at least once.
  MockCluster cluster(3, kPartitions);
  fs::path dir = FreshDir("cluster-delivery");
  Receiver receiver(dir / "received.txt", 1);
  ASSERT_NE(receiver.port(), 0);
  std::string config = ClusterConfig(dir, cluster.brokers(),
                                     R"(, "webhooks": {"webhook": {"url": "http://127.0.0.1:)" +
                                         std::to_string(receiver.port()) + R"(/orders", "backoff_ms": 50}})");
  std::vector<std::string> args = {"--config", config, "--clock", "system"};
  Daemon a(dir / "a", args, Source("bench/daemon"), "");
  Daemon b(dir / "b", args, Source("bench/daemon"), "");
  std::ofstream profiles(dir / "profiles.ndjson");
  for (int i = 0; i < 8; ++i)
    profiles << R"({"type": "hcp", "id": "h)" << i << R"(", "name": "n", "rep": "r", "timezone": "UTC"})" << "\n";
  profiles.close();
  const std::string ndjson = "-H 'Content-Type: application/x-ndjson'";
  ASSERT_EQ(a.Curl("POST", "/v1/profiles", (dir / "profiles.ndjson").string(), ndjson).substr(0, 3), "200");
  std::string posted = b.Curl("POST", "/v1/events", Hooks(dir / "first.ndjson", 24), ndjson);
  ASSERT_EQ(posted.substr(0, 3), "200") << posted.substr(0, 300);
  EXPECT_EQ(WaitDelivered(dir / "received.txt", 24).size(), 24u);
  double by_b = Metric(b, "tutti_cluster_deliveries_open");
  EXPECT_GE(by_b, 0) << "b serves the delivery metrics";

  b.Kill(SIGKILL);
  posted = a.Curl("POST", "/v1/events", Hooks(dir / "rest.ndjson", 24), ndjson);
  ASSERT_EQ(posted.substr(0, 3), "200") << posted.substr(0, 300);
  std::set<std::string> delivered = WaitDelivered(dir / "received.txt", 48);
  // Exactly the actions written, each delivered (after its failed first attempt).
  std::set<std::string> written;
  for (const std::string& action : WrittenActions({cluster.brokers(), {}}, kPartitions, 48))
    written.insert(action.substr(0, action.find(' ')));
  EXPECT_EQ(written.size(), 48u);
  EXPECT_EQ(delivered, written);
  std::map<std::string, int> failed_first;
  std::istringstream lines(ReadFile(dir / "received.txt"));
  for (std::string key, attempt, status; lines >> key >> attempt >> status;)
    if (attempt == "1") failed_first[key] += status == "500";
  for (const std::string& key : written) EXPECT_EQ(failed_first[key], 1) << key;
  // Each delivery's outcome, back in the inputs topic for its journeys.
  std::set<std::string> outcomes;
  for (int i = 0; i < 100 && outcomes.size() < written.size(); ++i) {
    outcomes.clear();
    for (const auto& r : ReadTopic({cluster.brokers(), {}}, "tutti.inputs", kPartitions, 1)) {
      if (r.value.find("\"action_delivered\"") == std::string::npos) continue;
      outcomes.insert(nlohmann::json::parse(r.value)["idempotency_key"].get<std::string>());
    }
  }
  EXPECT_EQ(outcomes, written);
  EXPECT_GT(Metric(a, "tutti_cluster_deliveries_open"), -1);
  EXPECT_EQ(a.Kill(SIGTERM), 0);
}

TEST(Cluster, SettingsThatCannotHoldOnAClusterStopTheStart) {
  MockCluster cluster(1, 2);
  fs::path dir = FreshDir("cluster-refused");
  std::string config = ClusterConfig(dir, cluster.brokers());
  // A profiles file loaded at every start would undo newer updates.
  std::string out = Shell(TuttiBinary() + " serve --journeys " + Source("journeys") + " --data " +
                          (dir / "d").string() + " --listen 127.0.0.1:0 --profiles " +
                          Source("examples/abc-pharma/profiles.ndjson") + " --config " + config + " 2>&1; echo exit $?");
  EXPECT_NE(out.find("'profiles' cannot be loaded"), std::string::npos) << out;
  EXPECT_NE(out.find("exit 1"), std::string::npos) << out;
  // A client property librdkafka does not know, named; its value never shown.
  std::ofstream(dir / "bad.json") << R"({"kafka": {"brokers": ")" << cluster.brokers()
                                  << R"(", "librdkafka": {"sasl.pasword": "hunter2"}}})";
  out = Shell(TuttiBinary() + " serve --check-config " + (dir / "bad.json").string() + " --journeys " +
              Source("journeys") + " --data " + (dir / "d").string() + " 2>&1; echo exit $?");
  EXPECT_NE(out.find("sasl.pasword"), std::string::npos) << out;
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  EXPECT_NE(out.find("exit 2"), std::string::npos) << out;
}

}  // namespace
