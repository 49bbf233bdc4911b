// `tutti serve` as nodes of a Kafka cluster (docs/cluster.md), end to end,
// against a mock cluster the test starts: two daemons share the
// partitions; inputs posted to either, or streamed to its streaming port,
// are acknowledged once Kafka has them; one daemon killed with SIGKILL has its partitions taken over by
// the other; and the actions in tutti.actions are then exactly those one
// engine makes from the same inputs, each once. A customer's page is read
// from either node as one daemon shows it, over https too; every other
// read, a retry, an outcome and an explanation are answered from every
// node's part; settings that cannot hold on a cluster stop the start with
// the reason.

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "compiler/source/diagnostic.h"
#include "runtime/engine/partition.h"
#include "tests/cluster/mock_cluster.h"
#include "tests/cluster/scenario.h"
#include "tests/daemon/cluster_fixture.h"
#include "tests/daemon/daemon_fixture.h"

namespace {

using namespace tutti::testing;
namespace fs = std::filesystem;

constexpr int kPartitions = kClusterPartitions;

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
  // Every node's deliveries, listed from either node a page at a time: each
  // of a node's actions once, naming the node that delivers it. (A node
  // slow under load can lose its share of the actions to the other before
  // committing what it delivered: the other delivers those again, at least
  // once, and both list them.)
  std::set<std::string> places;  // "node#seq" of the last listing, each once
  auto listed = [&](Daemon& d, const std::string& filter, std::set<std::string>* nodes) {
    std::vector<std::string> keys;
    places.clear();
    std::string cursor;
    for (int page = 0; page < 100; ++page) {
      std::string answer;
      for (int i = 0; i < 50; ++i) {  // asked again while the group gives partitions out (503)
        answer = d.Curl("GET", "/v1/actions?limit=5" + filter + (cursor.empty() ? "" : "&since=" + cursor));
        if (answer.substr(0, 3) != "503") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      EXPECT_EQ(answer.substr(0, 3), "200") << answer.substr(0, 300);
      auto body = nlohmann::json::parse(answer.substr(std::min(answer.size(), size_t{4})), nullptr, false);
      if (answer.substr(0, 3) != "200" || !body.is_object() || body["actions"].empty()) break;
      EXPECT_LE(body["actions"].size(), 5u);
      for (const auto& action : body["actions"]) {
        // Handed over by a rebalance (a node slow to join): listed again by
        // the node that took it over.
        if (action["delivery"] == "handed_over") continue;
        keys.push_back(action["idempotency_key"].get<std::string>());
        nodes->insert(action["node"].get<std::string>());
        std::string place = action["node"].get<std::string>() + "#" + std::to_string(action["seq"].get<uint64_t>());
        EXPECT_TRUE(places.insert(place).second) << place << " listed twice";
      }
      cursor = body["next"].get<std::string>();
    }
    return keys;
  };
  std::vector<std::string> delivered_keys;
  std::set<std::string> nodes;
  auto unique = [](const std::vector<std::string>& keys) { return std::set<std::string>(keys.begin(), keys.end()); };
  // Until every action is delivered and nothing else is listed: a copy a
  // node delivers again after a rebalance (at least once) may still be on
  // its way when the last key first shows as delivered.
  for (int i = 0; i < 100; ++i) {
    nodes.clear();
    Daemon& d = i % 2 ? a : b;
    delivered_keys = listed(d, "&delivery=delivered", &nodes);
    std::set<std::string> all_nodes;
    if (unique(delivered_keys).size() == 24 && listed(d, "", &all_nodes).size() == delivered_keys.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(unique(delivered_keys).size(), 24u);
  EXPECT_LE(delivered_keys.size(), 48u) << "at most once by each node";
  EXPECT_EQ(nodes.size(), 2u) << "both nodes deliver a share";
  for (Daemon* d : {&a, &b}) {
    std::set<std::string> all_nodes;
    std::vector<std::string> all = listed(*d, "", &all_nodes);
    EXPECT_EQ(unique(all), unique(delivered_keys));
    EXPECT_EQ(all.size(), delivered_keys.size());
    EXPECT_TRUE(listed(*d, "&delivery=dead_letter", &all_nodes).empty());
  }
  EXPECT_EQ(a.Curl("GET", "/v1/actions?since=12").substr(0, 3), "400");
  EXPECT_EQ(a.Curl("GET", "/v1/actions?delivery=lost").substr(0, 3), "400");
  // One customer's actions, from every node (a customer's page reads them
  // so): those of the whole log that are theirs.
  for (Daemon* d : {&a, &b}) {
    Json all = d->GetJson("/v1/actions?limit=1000")["actions"], hers = d->GetJson("/v1/actions?customer=h3&limit=1000")["actions"];
    std::multiset<std::string> want, got;
    for (const Json& action : all)
      if (action["customer"] == "h3") want.insert(action["idempotency_key"].get<std::string>());
    for (const Json& action : hers) got.insert(action["idempotency_key"].get<std::string>());
    EXPECT_FALSE(got.empty());
    EXPECT_EQ(got, want);
  }

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

/// The partitions `d` owns, by its metrics.
std::set<int> Owned(Daemon& d) {
  std::set<int> owned;
  std::istringstream lines(d.Curl("GET", "/metrics"));
  const std::string family = "tutti_cluster_partition_lag_offsets{partition=\"";
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(family, 0) == 0) owned.insert(std::stoi(line.substr(family.size())));
  return owned;
}

/// Daemon::Curl's "STATUS BODY" split: the body parsed, discarded when it
/// is not JSON.
std::pair<std::string, nlohmann::json> Answer(const std::string& curl) {
  return {curl.substr(0, 3), nlohmann::json::parse(curl.substr(std::min(curl.size(), size_t{4})), nullptr, false)};
}

/// A read, asked again (as Retry-After says) while the node answers 503:
/// for up to 10 s after the group moved partitions, until the nodes have
/// read who runs them now.
std::pair<std::string, nlohmann::json> Read(Daemon& d, const std::string& path, const std::string& extra) {
  std::string answer;
  for (int i = 0; i < 50; ++i) {
    answer = d.Curl("GET", path, "", extra);
    if (answer.substr(0, 3) != "503") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Answer(answer);
}

TEST(Cluster, OutcomesAndRetriesFindTheirActionOnAnyNode) {
  // An action is held by the node that read it from tutti.actions. A
  // dead letter is retried from either node: the node holding it writes it
  // to tutti.actions again and its deliverer attempts it anew, with a whole
  // budget. An outcome posted to either node comes back as its
  // prescriber's event.
  MockCluster cluster(3, kPartitions);
  fs::path dir = FreshDir("cluster-retry");
  // Every attempt fails: each action is a dead letter after two attempts
  // by its deliverer (more when its partition moved meanwhile, since a new
  // deliverer starts a new budget), and again after its retry.
  Receiver receiver(dir / "received.txt", 1 << 30);
  ASSERT_NE(receiver.port(), 0);
  std::string config = ClusterConfig(dir, cluster.brokers(),
                                     R"(, "admin_token": "ad-secret", "ingest_token": "in-secret", )"
                                     R"("webhooks": {"webhook": {"url": "http://127.0.0.1:)" +
                                         std::to_string(receiver.port()) +
                                         R"(/orders", "backoff_ms": 1000, "max_attempts": 2}})");
  std::vector<std::string> args = {"--config", config, "--clock", "system"};
  Daemon a(dir / "a", args, Source("bench/daemon"), "");
  Daemon b(dir / "b", args, Source("bench/daemon"), "");
  // The attempts the receiver saw, by key.
  auto attempts = [&] {
    std::map<std::string, int> n;
    std::istringstream lines(ReadFile(dir / "received.txt"));
    for (std::string key, attempt, status; lines >> key >> attempt >> status;) n[key] = std::stoi(attempt);
    return n;
  };
  std::ofstream profiles(dir / "profiles.ndjson");
  for (int i = 0; i < 8; ++i)
    profiles << R"({"type": "hcp", "id": "h)" << i << R"(", "name": "n", "rep": "r", "timezone": "UTC"})" << "\n";
  profiles.close();
  const std::string ingest = "-H 'Content-Type: application/x-ndjson' -H 'Authorization: Bearer in-secret'";
  const std::string admin = "-H 'Content-Type: application/json' -H 'Authorization: Bearer ad-secret'";
  ASSERT_EQ(a.Curl("POST", "/v1/profiles", (dir / "profiles.ndjson").string(), ingest).substr(0, 3), "200");
  std::string posted = b.Curl("POST", "/v1/events", Hooks(dir / "hooks.ndjson", 8), ingest);
  ASSERT_EQ(posted.substr(0, 3), "200") << posted.substr(0, 300);

  // The eight dead letters, listed from either node, once nothing is
  // being delivered (a node slow to join moves partitions of actions, and
  // their new deliverer attempts them again).
  std::map<std::string, std::string> dead;  // key -> node holding it
  auto settled = [&](Daemon& d) {
    dead.clear();
    auto [status, body] = Read(d, "/v1/actions", admin);
    if (status != "200") return false;
    for (const auto& action : body["actions"]) {
      if (action["delivery"] == "pending" || action["delivery"] == "failed") return false;
      if (action["delivery"] == "dead_letter") dead[action["idempotency_key"]] = action["node"];
    }
    return dead.size() == 8;
  };
  int quiet = 0;
  for (int i = 0; i < 300 && quiet < 3; ++i) {
    quiet = settled(i % 2 ? a : b) ? quiet + 1 : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(dead.size(), 8u);
  std::map<std::string, int> before = attempts();

  // Each retried from one node or the other, whichever holds it.
  int turn = 0;
  for (const auto& [key, node] : dead) {
    Daemon& other = ++turn % 2 ? a : b;
    std::string answer;
    for (int i = 0; i < 50; ++i) {  // 503 while its failure's outcome is written
      answer = other.Curl("POST", "/v1/actions/" + key + "/retry", "", admin);
      if (answer.substr(0, 3) != "503") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(answer.substr(0, 3), "202") << answer;
    auto [status, body] = Answer(answer);
    EXPECT_EQ(body["node"], node);
    EXPECT_EQ(body["delivery"], "pending");
    // Once sent again, it is no dead letter to retry (until its deliverer
    // has spent the new budget, a second later).
    EXPECT_EQ(other.Curl("POST", "/v1/actions/" + key + "/retry", "", admin).substr(0, 3), "409");
  }
  EXPECT_EQ(a.Curl("POST", "/v1/actions/0123456789abcdef/retry", "", admin).substr(0, 3), "404");
  EXPECT_EQ(a.Curl("POST", "/v1/actions/0123456789abcdef/retry").substr(0, 3), "401");
  EXPECT_EQ(a.Curl("GET", "/v1/actions/0123456789abcdef/retry", "", admin).substr(0, 3), "405");
  // Attempted anew with their keys, a whole budget each: dead letters again.
  std::set<std::string> keys;
  for (const auto& [key, node] : dead) keys.insert(key);
  auto retried = [&] {
    std::map<std::string, int> now = attempts();
    return std::all_of(keys.begin(), keys.end(), [&](const std::string& k) { return now[k] >= before[k] + 2; });
  };
  for (int i = 0; i < 300 && !retried(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(retried());
  auto listed = [&](const std::string& state) {
    auto [status, body] = Read(b, "/v1/actions?delivery=" + state, admin);
    EXPECT_EQ(status, "200");
    std::set<std::string> found;
    for (const auto& action : body["actions"]) found.insert(action["idempotency_key"]);
    return found;
  };
  for (int i = 0; i < 100 && listed("dead_letter") != keys; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(listed("dead_letter"), keys);
  EXPECT_EQ(listed("handed_over"), keys) << "the dead letters sent again";

  // Outcomes posted to either node, each made its prescriber's event.
  std::ofstream outcomes(dir / "outcomes.ndjson");
  for (const auto& [key, node] : dead)
    outcomes << R"({"idempotency_key": ")" << key << R"(", "outcome": "failed", "reason": "hard bounce"})" << "\n";
  outcomes << R"({"idempotency_key": "0123456789abcdef", "outcome": "failed"})" << "\n";
  outcomes << R"({"outcome": "failed"})" << "\n";
  outcomes.close();
  auto [status, body] = Answer(b.Curl("POST", "/v1/outcomes", (dir / "outcomes.ndjson").string(), ingest));
  EXPECT_EQ(status, "200") << body;
  EXPECT_EQ(body["accepted"], 8) << body;
  EXPECT_EQ(body["refused"], 2) << body;
  EXPECT_NE(body["results"][8]["error"].get<std::string>().find("no action with idempotency key"), std::string::npos);
  EXPECT_EQ(a.Curl("POST", "/v1/outcomes", (dir / "outcomes.ndjson").string(), admin).substr(0, 3), "401");
  std::set<std::string> bounced;
  for (int i = 0; i < 100 && bounced.size() < keys.size(); ++i) {
    bounced.clear();
    for (const auto& r : ReadTopic({cluster.brokers(), {}}, "tutti.inputs", kPartitions, 1)) {
      auto event = nlohmann::json::parse(r.value, nullptr, false);
      if (event.is_object() && event["type"] == "action_failed" && event["reason"] == "hard bounce")
        bounced.insert(event["idempotency_key"].get<std::string>());
    }
  }
  EXPECT_EQ(bounced, keys);
  EXPECT_EQ(a.Kill(SIGTERM), 0);
  EXPECT_EQ(b.Kill(SIGTERM), 0);
}

TEST(Cluster, NodesServingTlsSendRequestsOnOverTls) {
  // Nodes serving their API over https send reads on to each other over
  // https too, verifying each other's certificates with kafka.peer_ca.
  MockCluster cluster(3, kPartitions);
  fs::path dir = FreshDir("cluster-tls");
  MakeCertificate(dir);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  fs::path config = dir / "cluster.json";
  std::ofstream(config) << nlohmann::json{
      {"tls_cert", (dir / "cert.pem").string()},
      {"tls_key", (dir / "key.pem").string()},
      {"kafka",
       {{"brokers", cluster.brokers()},
        {"peer_ca", (dir / "cert.pem").string()},
        {"librdkafka", {{"session.timeout.ms", 3000}, {"heartbeat.interval.ms", 300}, {"fetch.wait.max.ms", 10}}}}}};
  Daemon a(dir / "a", {"--config", config.string(), "--engine", "interp"}, Source("journeys"), "");
  Daemon b(dir / "b", {"--config", config.string(), "--engine", "interp"}, Source("journeys"), "");
  a.UseTls((dir / "cert.pem").string());
  b.UseTls((dir / "cert.pem").string());
  const std::string ndjson = "-H 'Content-Type: application/x-ndjson'";
  std::string posted = a.Curl("POST", "/v1/profiles", Source("examples/abc-pharma/profiles.ndjson"), ndjson);
  ASSERT_EQ(posted.substr(0, 3), "200") << posted.substr(0, 300);
  std::vector<std::string> events = ScenarioEvents();
  std::ofstream(dir / "events.ndjson") << JoinLines(events, 0, std::min<size_t>(events.size(), 300));
  posted = b.Curl("POST", "/v1/events", (dir / "events.ndjson").string(), ndjson);
  ASSERT_EQ(posted.substr(0, 3), "200") << posted.substr(0, 300);
  WaitCaughtUp({&a, &b});
  // A customer of each node's, read from the other: sent on over https.
  size_t sent_on = 0;
  for (const std::string& line : events) {
    auto e = nlohmann::json::parse(line);
    if (!e.contains("hcp")) continue;
    std::string id = e["hcp"];
    bool b_runs = Owned(b).count(static_cast<int>(tutti::runtime::KafkaPartitionOf(id, kPartitions))) > 0;
    Daemon& asked = b_runs ? a : b;
    Daemon& owner = b_runs ? b : a;
    auto [status, body] = Read(asked, "/v1/customers/" + id, "");
    ASSERT_EQ(status, "200") << id << body;
    EXPECT_EQ(body, Read(owner, "/v1/customers/" + id, "").second) << id;
    if (++sent_on == 4) break;
  }
  EXPECT_EQ(sent_on, 4u);
  EXPECT_GT(Metric(a, "tutti_cluster_customer_reads_total{where=\"sent_on\"}") +
                Metric(b, "tutti_cluster_customer_reads_total{where=\"sent_on\"}"),
            0);
  // Every node's part, gathered over https; and a POST sent on (which
  // node holds an outcome's action: none, here).
  auto [status, journeys] = Read(a, "/v1/journeys", "");
  EXPECT_EQ(status, "200") << journeys;
  EXPECT_EQ(journeys["nodes"], 2);
  std::ofstream(dir / "outcome.ndjson") << R"({"idempotency_key": "0123456789abcdef", "outcome": "failed"})" << "\n";
  auto [outcome_status, outcome] = Answer(a.Curl("POST", "/v1/outcomes", (dir / "outcome.ndjson").string(), ndjson));
  EXPECT_EQ(outcome_status, "400") << outcome;
  EXPECT_NE(outcome.dump().find("no action with idempotency key"), std::string::npos) << outcome;
  // A node that trusts another authority trusts neither: what it sends
  // on is refused as unreachable (503), never sent in the clear.
  MakeCertificate(dir, "other");
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  auto distrusting = nlohmann::json::parse(ReadFile(config));
  distrusting["kafka"]["peer_ca"] = (dir / "other.pem").string();
  std::ofstream(dir / "distrusting.json") << distrusting.dump();
  Daemon c(dir / "c", {"--config", (dir / "distrusting.json").string(), "--engine", "interp"}, Source("journeys"), "");
  c.UseTls((dir / "cert.pem").string());
  WaitCaughtUp({&a, &b, &c});
  std::string elsewhere;
  for (const std::string& line : events) {
    auto e = nlohmann::json::parse(line);
    if (e.contains("hcp") &&
        !Owned(c).count(static_cast<int>(tutti::runtime::KafkaPartitionOf(e["hcp"].get<std::string>(), kPartitions))))
      elsewhere = e["hcp"];
  }
  ASSERT_FALSE(elsewhere.empty());
  // Caught up is not yet announced: the owner's announcement reaches c
  // within about a second of its read of tutti.control.
  std::string refused;
  for (int i = 0; i < 50; ++i) {
    refused = c.Curl("GET", "/v1/customers/" + elsewhere);
    if (refused.find("try again once the group has given it out") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(refused.substr(0, 3), "503") << refused;
  EXPECT_NE(refused.find("not trusted"), std::string::npos) << refused;
  EXPECT_EQ(c.Kill(SIGTERM), 0);
  EXPECT_EQ(a.Kill(SIGTERM), 0);
  EXPECT_EQ(b.Kill(SIGTERM), 0);
}

TEST(Cluster, ReadsAreAnsweredOnAnyNodeAsOneDaemonAnswersThem) {
  // GET /v1/customers/{id} and its history on either node: answered by the
  // node that runs the customer's partition (sent on to it when another
  // node is asked); GET /v1/journeys: every node's partitions added up;
  // GET /v1/tasks: every node's share of the work queues; GET
  // /v1/engagement and /v1/accounts: every node's scan of its histories;
  // an account's history: every node's entries of a page, merged; a
  // journey paused and resumed from any node.
  // Each as one daemon answers after the same inputs.
  MockCluster cluster(3, kPartitions);
  fs::path dir = FreshDir("cluster-reads");
  std::string config = ClusterConfig(dir, cluster.brokers(), R"(, "admin_token": "ad-secret")");
  Daemon a(dir / "a", {"--config", config, "--engine", "interp"}, Source("journeys"), "");
  Daemon b(dir / "b", {"--config", config, "--engine", "interp"}, Source("journeys"), "");
  std::ofstream(dir / "one.json") << R"({"shards": 1, "history_details": false, "admin_token": "ad-secret"})";
  Daemon one(dir / "one", {"--config", (dir / "one.json").string(), "--engine", "interp"});
  const std::string ndjson = "-H 'Content-Type: application/x-ndjson'";
  std::string posted = a.Curl("POST", "/v1/profiles", Source("examples/abc-pharma/profiles.ndjson"), ndjson);
  ASSERT_EQ(posted.substr(0, 3), "200") << posted.substr(0, 300);
  std::vector<std::string> events = ScenarioEvents();
  std::ofstream(dir / "events.ndjson") << JoinLines(events, 0, events.size());
  std::ofstream(dir / "clock.json") << R"({"to": ")" << kScenarioUntil << R"("})";
  for (Daemon* d : {&a, &one}) {
    posted = d->Curl("POST", "/v1/events", (dir / "events.ndjson").string(), ndjson);
    ASSERT_EQ(posted.substr(0, 3), "200") << posted.substr(0, 300);
  }
  const std::string admin = "-H 'Authorization: Bearer ad-secret'";
  ASSERT_EQ(b.Curl("POST", "/v1/clock", (dir / "clock.json").string(), admin).substr(0, 3), "200");
  ASSERT_EQ(one.Curl("POST", "/v1/clock", (dir / "clock.json").string(), admin).substr(0, 3), "200");
  WaitCaughtUp({&a, &b});
  ASSERT_FALSE(Owned(a).empty());
  ASSERT_FALSE(Owned(b).empty());

  std::set<std::string> ids;
  for (const std::string& line : events) {
    auto e = nlohmann::json::parse(line);
    if (e.contains("hcp") && ids.size() < 10) ids.insert(e["hcp"].get<std::string>());
  }
  size_t pages = 0;
  for (const std::string& id : ids) {
    auto [status_one, from_one] = Answer(one.Curl("GET", "/v1/customers/" + id, "", admin));
    ASSERT_EQ(status_one, "200") << id;
    ASSERT_TRUE(from_one["history"].is_array() && !from_one["history"].empty()) << id;
    ASSERT_TRUE(from_one["instances"].is_array()) << id;
    from_one.erase("actions");  // the daemon's outbox; on a cluster they are in tutti.actions
    for (Daemon* d : {&a, &b}) {
      auto [status, body] = Read(*d, "/v1/customers/" + id, admin);
      EXPECT_EQ(status, "200") << id;
      EXPECT_EQ(body, from_one) << id;
    }
    // Its history a page at a time: the cursors work on any node.
    std::string cursor;
    for (int page = 0; page < 20; ++page) {
      std::string path = "/v1/customers/" + id + "/history?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor);
      auto [status_one, page_one] = Answer(one.Curl("GET", path, "", admin));
      auto [status_a, page_a] = Answer(a.Curl("GET", path, "", admin));
      auto [status_b, page_b] = Answer(b.Curl("GET", path, "", admin));
      ASSERT_EQ(status_one, "200") << path;
      EXPECT_EQ(page_a, page_one) << path;
      EXPECT_EQ(page_b, page_one) << path;
      ++pages;
      if (!page_one.contains("next")) break;
      cursor = page_one["next"].get<std::string>();
    }
  }
  EXPECT_GT(pages, ids.size()) << "some histories take more than one page";
  // The journeys' figures, for all time and over a window.
  for (std::string path : {"/v1/journeys", "/v1/journeys?days=30", "/v1/journeys?from=2026-03-01T00:00:00Z"}) {
    auto [status_one, all_one] = Read(one, path, admin);
    ASSERT_EQ(status_one, "200") << path;
    ASSERT_GT(all_one["journeys"].size(), 5u) << path;
    for (Daemon* d : {&a, &b}) {
      auto [status, all] = Read(*d, path, admin);
      EXPECT_EQ(status, "200") << path;
      EXPECT_EQ(all["journeys"], all_one["journeys"]) << path;
      EXPECT_EQ(all["window"], all_one["window"]) << path;
      EXPECT_EQ(all["fingerprint"], all_one["fingerprint"]) << path;
      EXPECT_EQ(all["nodes"], 2) << path;
    }
  }
  // A journey's diagram with its counts, the console's journey page.
  for (std::string path : {"/v1/journeys/glidim_formulary_win/graph", "/v1/journeys/glidim_formulary_win/graph?days=30",
                           "/v1/journeys/nobody/graph", "/v1/journeys/glidim_formulary_win/graph?version=0"}) {
    auto [status_one, graph_one] = Read(one, path, admin);
    bool unknown = path.find("nobody") != std::string::npos, bad = path.find("=0") != std::string::npos;
    EXPECT_EQ(status_one, unknown ? "404" : bad ? "400" : "200") << path;
    if (status_one == "200") EXPECT_GT(graph_one["nodes"].size(), 3u) << path;
    for (Daemon* d : {&a, &b}) {
      auto [status, graph] = Read(*d, path, admin);
      EXPECT_EQ(status, status_one) << path;
      if (status_one == "200") EXPECT_EQ(graph, graph_one) << path;
    }
  }
  // The work queues, every node's share added up: open, overdue and
  // closed tasks, by role and customer, and a page further in.
  auto same_tasks = [&] {
    for (std::string path : {"/v1/tasks", "/v1/tasks?state=overdue", "/v1/tasks?state=closed", "/v1/tasks?role=msl",
                             "/v1/tasks?limit=2&offset=1", "/v1/tasks?state=closed&limit=1&offset=1",
                             "/v1/tasks?customer=hcp-empire-00017", "/v1/tasks?journey=nobody"}) {
      auto [status_one, tasks_one] = Read(one, path, admin);
      ASSERT_EQ(status_one, "200") << path;
      for (Daemon* d : {&a, &b}) {
        auto [status, tasks] = Read(*d, path, admin);
        EXPECT_EQ(status, "200") << path;
        EXPECT_EQ(tasks, tasks_one) << path;
      }
    }
  };
  same_tasks();
  // The director's figures, every node's scan of its partitions added up:
  // by week and by day, the accounts ranked by engagement and by likeness.
  for (std::string path :
       {"/v1/engagement", "/v1/engagement?bucket=day&from=2026-03-01T00:00:00Z", "/v1/accounts",
        "/v1/accounts?similar_to=empire-health", "/v1/accounts?similar_to=lone-star-care&campaign=glidim_formulary_win",
        "/v1/accounts?similar_to=nobody", "/v1/engagement?bucket=month"}) {
    auto [status_one, figures_one] = Read(one, path, admin);
    bool known = path.find("nobody") == std::string::npos && path.find("month") == std::string::npos;
    ASSERT_EQ(status_one, known ? "200" : path.find("nobody") != std::string::npos ? "404" : "400") << path;
    if (path == "/v1/engagement") ASSERT_GT(figures_one["engaged_total"].get<int>(), 10) << figures_one;
    if (path == "/v1/accounts") ASSERT_GT(figures_one["accounts"].size(), 2u) << figures_one;
    for (Daemon* d : {&a, &b}) {
      auto [status, figures] = Read(*d, path, admin);
      EXPECT_EQ(status, status_one) << path;
      if (known) EXPECT_EQ(figures, figures_one) << path;
    }
  }
  // An account's history a page at a time, from either node: every entry
  // one daemon shows, each once, in time order (within an instant, by
  // partition on a cluster), with and without filters.
  auto account_history = [&](Daemon& d, const std::string& filters, size_t limit, size_t* pages_read) {
    std::vector<nlohmann::json> entries;
    std::string cursor;
    for (int page = 0;; ++page) {
      if (page == 1000) {
        ADD_FAILURE() << "more than 1,000 pages";
        break;
      }
      std::string path = "/v1/accounts/empire-health/history?limit=" + std::to_string(limit) + filters +
                         (cursor.empty() ? "" : "&cursor=" + cursor);
      auto [status, body] = Read(d, path, admin);
      EXPECT_EQ(status, "200") << path << " " << body;
      if (status != "200") break;
      EXPECT_EQ(body["account"], "empire-health");
      EXPECT_LE(body["history"].size(), limit);
      for (auto& e : body["history"]) entries.push_back(e);
      ++*pages_read;
      if (!body.contains("next")) break;
      cursor = body["next"].get<std::string>();
    }
    for (size_t i = 1; i < entries.size(); ++i)
      EXPECT_LE(entries[i - 1]["at"].get<std::string>(), entries[i]["at"].get<std::string>()) << i;
    return entries;
  };
  auto by_time = [](std::vector<nlohmann::json> v) {
    std::sort(v.begin(), v.end(), [](const nlohmann::json& x, const nlohmann::json& y) {
      return std::pair(x["at"].get<std::string>(), x.dump()) < std::pair(y["at"].get<std::string>(), y.dump());
    });
    return v;
  };
  for (auto [filters, limit] : std::vector<std::pair<std::string, size_t>>{
           {"", 1000}, {"&kind=action", 100}, {"&journey=glidim_formulary_win", 200},
           {"&from=2026-03-15T00:00:00Z&kind=event", 7}}) {
    size_t pages_one = 0, pages_a = 0, pages_b = 0;
    auto from_one = account_history(one, filters, limit, &pages_one);
    ASSERT_GT(from_one.size(), limit) << filters;
    std::cout << "empire-health's history" << filters << ": " << from_one.size() << " entries\n";
    auto from_a = account_history(a, filters, limit, &pages_a), from_b = account_history(b, filters, limit, &pages_b);
    EXPECT_EQ(from_a, from_b) << filters;
    EXPECT_EQ(by_time(from_a), by_time(from_one)) << filters;
    EXPECT_GT(pages_a, 1u) << filters;
  }
  EXPECT_EQ(Read(a, "/v1/accounts/nobody/history", admin).first, "404");
  EXPECT_EQ(Read(b, "/v1/accounts/empire-health/history?cursor=12.3", admin).first, "400");
  EXPECT_EQ(Read(b, "/v1/accounts/empire-health/history?kind=suppressed", admin).second["history"].size(), 0u);
  // An action's explanation, asked of either node: the node delivering it
  // answers as one daemon does, the inputs read from tutti.inputs.
  {
    auto [status, log] = Read(one, "/v1/actions?limit=5000", admin);
    ASSERT_EQ(status, "200");
    ASSERT_GT(log["actions"].size(), 1000u);
    // Once the nodes have read every action from tutti.actions.
    for (int i = 0; i < 200 && Read(a, "/v1/actions?limit=5000", admin).second["actions"].size() <
                                   log["actions"].size();
         ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    size_t with_choices = 0, with_policy = 0, asked = 0;
    for (size_t i = 0; i < log["actions"].size(); i += 97, ++asked) {
      std::string key = log["actions"][i]["idempotency_key"];
      auto [one_status, expected] = Answer(one.Curl("GET", "/v1/decisions/" + key + "/why", "", admin));
      ASSERT_EQ(one_status, "200") << key;
      auto [why_status, why] = Read(asked % 2 ? a : b, "/v1/decisions/" + key + "/why", admin);
      ASSERT_EQ(why_status, "200") << key << why;
      EXPECT_TRUE(why["node"].is_string());
      // A wait's input numbered by its offset in its partition.
      for (auto* choices : {&why["choices"], &expected["choices"]})
        for (auto& choice : *choices) choice.erase("input");
      for (const char* part : {"journey", "choices", "step", "policy"}) EXPECT_EQ(why[part], expected[part]) << part;
      // The action as one daemon shows it, vars too, its inputs numbered
      // by their offsets in their partition.
      for (auto* action : {&why["action"], &expected["action"]})
        for (const char* number : {"input", "entered_by"}) action->erase(number);
      EXPECT_EQ(why["action"], expected["action"]);
      for (const char* input : {"input", "entered_by"}) {
        ASSERT_EQ(why.contains(input), expected.contains(input)) << input;
        if (!expected.contains(input)) continue;
        if (expected[input].contains("timer")) {
          EXPECT_EQ(why[input], expected[input]) << input;
          continue;
        }
        EXPECT_EQ(why[input]["at"], expected[input]["at"]) << input << why[input];
        EXPECT_TRUE(why[input]["offset"].is_number()) << input;
        auto event = why[input]["event"], logged = expected[input]["event"];
        EXPECT_EQ(event, logged) << input;
      }
      with_choices += !expected["choices"].empty();
      with_policy += !expected["policy"].empty();
    }
    EXPECT_GT(with_choices, 0u);
    EXPECT_GT(with_policy, 0u);
    EXPECT_EQ(Read(a, "/v1/decisions/0123456789abcdef/why", admin).first, "404");
    EXPECT_EQ(a.Curl("GET", "/v1/decisions/0123456789abcdef/why").substr(0, 3), "401");
  }
  // Colleagues close two tasks and hand one on: the events are keyed by
  // the colleague, the tasks live in their customers' partitions.
  auto open = Read(one, "/v1/tasks", admin).second;
  ASSERT_GE(open["tasks"].size(), 3u) << open;
  std::string done;
  for (size_t i = 0; i < 3; ++i) {
    const auto& t = open["tasks"][i];
    std::string who = t["assignee"].get<std::string>().empty() ? "staff-cc-01" : t["assignee"].get<std::string>();
    done += i < 2 ? R"({"type": "task_completed", "assignee": ")" + who + R"(", "task_id": ")" +
                        t["id"].get<std::string>() + R"(", "outcome": "done", "at": ")" + kScenarioUntil + "\"}\n"
                  : R"({"type": "task_reassigned", "assignee": "staff-msl-02", "task_id": ")" +
                        t["id"].get<std::string>() + R"(", "at": ")" + kScenarioUntil + "\"}\n";
  }
  std::ofstream(dir / "done.ndjson") << done;
  for (Daemon* d : {&a, &one}) {
    posted = d->Curl("POST", "/v1/events", (dir / "done.ndjson").string(), ndjson);
    ASSERT_EQ(posted.substr(0, 3), "200") << posted.substr(0, 300);
  }
  one.WaitIdle();
  WaitCaughtUp({&a, &b});
  same_tasks();
  auto after = Read(one, "/v1/tasks", admin).second;
  EXPECT_EQ(after["totals"]["closed"], 2) << after["totals"];
  EXPECT_EQ(after["totals"]["reassigned"], 1) << after["totals"];
  EXPECT_EQ(after["matching"], open["matching"].get<int>() - 2);
  EXPECT_EQ(a.Curl("GET", "/v1/tasks?offset=1001", "", admin).substr(0, 3), "400");
  // A journey paused from one node is paused in every partition: a
  // formulary win at another account then starts none of its instances,
  // as on one daemon, while the other journeys it triggers run; resumed
  // from the other node, it runs everywhere again.
  auto journey_named = [](const nlohmann::json& all, const std::string& name) {
    for (const auto& j : all["journeys"])
      if (j["name"] == name) return j;
    return nlohmann::json();
  };
  auto before = Read(one, "/v1/journeys", admin).second;
  for (Daemon* d : {&b, &one}) {
    auto [status, paused] = Answer(d->Curl("POST", "/v1/journeys/glidim_formulary_win/pause", "", admin));
    ASSERT_EQ(status, "200") << paused;
    EXPECT_EQ(paused["status"], "paused");
  }
  EXPECT_EQ(a.Curl("POST", "/v1/journeys/nobody/pause", "", admin).substr(0, 3), "404");
  std::ofstream(dir / "win.ndjson") << R"({"type": "formulary_win", "account": "lone-star-care", "brand": "GLIDIM", )"
                                    << R"("plan": "Lone Star Value", "tier": 2, "prior_auth": false, "effective": ")"
                                    << kScenarioUntil << R"(", "recorded_by": "walter", "at": ")" << kScenarioUntil
                                    << "\"}\n";
  for (Daemon* d : {&a, &one}) {
    posted = d->Curl("POST", "/v1/events", (dir / "win.ndjson").string(), ndjson);
    ASSERT_EQ(posted.substr(0, 3), "200") << posted.substr(0, 300);
  }
  one.WaitIdle();
  WaitCaughtUp({&a, &b});
  auto paused_one = Read(one, "/v1/journeys", admin).second;
  EXPECT_EQ(journey_named(paused_one, "glidim_formulary_win")["entered"],
            journey_named(before, "glidim_formulary_win")["entered"]);
  EXPECT_GT(journey_named(paused_one, "formulary_win_briefing")["entered"].get<int>(),
            journey_named(before, "formulary_win_briefing")["entered"].get<int>());
  for (Daemon* d : {&a, &b}) {
    auto all = Read(*d, "/v1/journeys", admin).second;
    EXPECT_EQ(all["journeys"], paused_one["journeys"]);
    EXPECT_EQ(journey_named(all, "glidim_formulary_win")["status"], "paused");
  }
  for (Daemon* d : {&a, &one})
    ASSERT_EQ(d->Curl("POST", "/v1/journeys/glidim_formulary_win/resume", "", admin).substr(0, 3), "200");
  one.WaitIdle();
  WaitCaughtUp({&a, &b});
  for (Daemon* d : {&a, &b}) {
    auto all = Read(*d, "/v1/journeys", admin).second;
    EXPECT_EQ(journey_named(all, "glidim_formulary_win")["status"], "running");
    EXPECT_EQ(all["journeys"], Read(one, "/v1/journeys", admin).second["journeys"]);
  }
  std::string part = a.Curl("GET", "/v1/cluster/journeys", "", admin);
  EXPECT_EQ(part.substr(0, 3), "200");
  ::testing::Test::RecordProperty("journeys_part_bytes", std::to_string(part.size() - 4));
  std::cout << "a's part of /v1/journeys: " << part.size() - 4 << " bytes\n";
  EXPECT_EQ(a.Curl("GET", "/v1/journeys").substr(0, 3), "401");
  EXPECT_EQ(a.Curl("GET", "/v1/journeys?days=0", "", admin).substr(0, 3), "400");
  for (Daemon* d : {&a, &b}) {
    EXPECT_GT(Metric(*d, "tutti_cluster_customer_reads_total{where=\"here\"}"), 0);
    EXPECT_GT(Metric(*d, "tutti_cluster_customer_reads_total{where=\"sent_on\"}"), 0);
  }
  // The admin token is asked for by the node asked, and by the owner.
  EXPECT_EQ(a.Curl("GET", "/v1/customers/" + *ids.begin()).substr(0, 3), "401");
  EXPECT_EQ(b.Curl("GET", "/v1/customers/" + *ids.begin()).substr(0, 3), "401");
  auto unknown = Answer(a.Curl("GET", "/v1/customers/nobody", "", admin));
  EXPECT_EQ(unknown.first, "404");

  // A node killed: the reads of its customers are refused for a moment
  // (503, try again), then answered by the node that took them over.
  std::string theirs;
  for (const std::string& id : ids)
    if (Owned(b).count(static_cast<int>(tutti::runtime::KafkaPartitionOf(id, kPartitions)))) theirs = id;
  ASSERT_FALSE(theirs.empty());
  b.Kill(SIGKILL);
  std::string refused = a.Curl("GET", "/v1/customers/" + theirs, "", admin + " -i");
  EXPECT_NE(refused.find("HTTP/1.1 503"), std::string::npos) << refused.substr(0, 300);
  EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos) << refused.substr(0, 300);
  EXPECT_GT(Metric(a, "tutti_cluster_customer_reads_total{where=\"refused\"}"), 0);
  WaitCaughtUp({&a});
  auto [status, body] = Read(a, "/v1/customers/" + theirs, admin);
  auto from_one = Answer(one.Curl("GET", "/v1/customers/" + theirs, "", admin)).second;
  from_one.erase("actions");
  EXPECT_EQ(status, "200");
  EXPECT_EQ(body, from_one);
  auto [all_status, all] = Read(a, "/v1/journeys", admin);
  EXPECT_EQ(all_status, "200");
  EXPECT_EQ(all["nodes"], 1);
  EXPECT_EQ(all["journeys"], Read(one, "/v1/journeys", admin).second["journeys"]);
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
