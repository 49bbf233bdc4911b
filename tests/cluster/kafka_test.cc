// The cluster room's Kafka layer (runtime/cluster/kafka.h) against
// librdkafka's mock cluster, started by each test: records land on the
// partition of their key exactly as librdkafka's murmur2 partitioner (and
// Kafka's Java clients) put them; every acknowledged record is read back
// once, in order per partition, through a broker going down and coming
// back and through injected request errors; settings that would break the
// guarantees are refused.

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <future>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/cluster/kafka.h"
#include "runtime/engine/partition.h"
#include "tests/cluster/mock_cluster.h"

namespace tutti::runtime::cluster {
namespace {

using namespace std::chrono_literals;
using tutti::testing::MockCluster;

TEST(KafkaPartition, IsLibrdkafkasMurmur2) {
  std::mt19937 random(7);
  std::vector<std::string> keys = {"", "a", "ab", "abc", "abcd", "hcp-empire-00017", "acct-empire", "\xff\xfe\x80"};
  for (int i = 0; i < 5000; ++i) {
    std::string key(random() % 40, '\0');
    for (char& c : key) c = static_cast<char>(random());
    keys.push_back(key);
  }
  for (const std::string& key : keys)
    for (int32_t partitions : {1, 3, 6, 7, 64, 1000})
      ASSERT_EQ(KafkaPartitionOf(key, static_cast<uint32_t>(partitions)),
                static_cast<uint32_t>(rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(), partitions,
                                                                       nullptr, nullptr)))
          << "key of " << key.size() << " bytes, " << partitions << " partitions";
}

/// `n` records keyed by prescriber, numbered in their values from `from`.
std::vector<Record> Records(int from, int n) {
  std::vector<Record> out;
  for (int i = from; i < from + n; ++i)
    out.push_back({"hcp-" + std::to_string(i % 500), "{\"type\":\"rx_written\",\"n\":" + std::to_string(i) + "}"});
  return out;
}

/// Every committed record of `topic`, by partition, in order.
std::map<int32_t, std::vector<Record>> ReadAll(const KafkaSettings& settings, const std::string& topic,
                                               int32_t partitions) {
  std::map<int32_t, std::vector<Record>> out;
  for (int32_t p = 0; p < partitions; ++p) {
    auto reader = Reader::Open(settings, topic, p, 0);
    EXPECT_TRUE(reader.ok()) << reader.status().message();
    if (!reader.ok()) continue;
    auto end = (*reader)->End(10s);
    EXPECT_TRUE(end.ok()) << end.status().message();
    if (!end.ok()) continue;
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while ((out[p].empty() || out[p].back().offset + 1 < *end) && std::chrono::steady_clock::now() < deadline) {
      auto batch = (*reader)->Next(1000, 200ms);
      EXPECT_TRUE(batch.ok()) << batch.status().message();
      if (!batch.ok()) break;
      for (Record& r : *batch) out[p].push_back(std::move(r));
    }
  }
  return out;
}

/// Checks that the records read are exactly those sent, each once, on its
/// key's partition, in the order sent within each partition.
void ExpectEachOnceInOrder(const std::map<int32_t, std::vector<Record>>& read, const std::vector<Record>& sent,
                           int32_t partitions) {
  std::map<int32_t, std::vector<std::string>> wanted;
  for (const Record& r : sent) wanted[static_cast<int32_t>(KafkaPartitionOf(r.key, partitions))].push_back(r.value);
  size_t total = 0;
  for (int32_t p = 0; p < partitions; ++p) {
    std::vector<std::string> got;
    auto it = read.find(p);
    if (it != read.end())
      for (const Record& r : it->second) {
        got.push_back(r.value);
        EXPECT_EQ(KafkaPartitionOf(r.key, partitions), static_cast<uint32_t>(p)) << r.key;
      }
    total += got.size();
    EXPECT_EQ(got, wanted[p]) << "partition " << p;
  }
  EXPECT_EQ(total, sent.size());
}

TEST(Kafka, RecordsLandOnTheirKeysPartitionAndAreReadBackOnce) {
  MockCluster cluster;
  KafkaSettings settings{cluster.brokers(), {}};
  auto counts = PartitionCounts(settings, {"tutti.inputs", "tutti.control"}, 10s);
  ASSERT_TRUE(counts.ok()) << counts.status().message();
  EXPECT_EQ((*counts)["tutti.inputs"], 6);
  EXPECT_EQ((*counts)["tutti.control"], 1);
  auto missing = PartitionCounts(settings, {"tutti.nothing"}, 10s);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  auto producer = Producer::Open(settings);
  ASSERT_TRUE(producer.ok()) << producer.status().message();
  std::vector<Record> sent;
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<Record> records = Records(batch * 1000, 1000);
    std::vector<Status> statuses = (*producer)->Send("tutti.inputs", records, 30s);
    for (size_t i = 0; i < records.size(); ++i) {
      ASSERT_TRUE(statuses[i].ok()) << statuses[i].message();
      EXPECT_EQ(records[i].partition, static_cast<int32_t>(KafkaPartitionOf(records[i].key, 6)));
      EXPECT_GE(records[i].offset, 0);
    }
    sent.insert(sent.end(), records.begin(), records.end());
  }
  ExpectEachOnceInOrder(ReadAll(settings, "tutti.inputs", 6), sent, 6);
}

TEST(Kafka, ABrokerDownAndRequestErrorsPauseWritesAndLoseOrRepeatNothing) {
  MockCluster cluster;
  KafkaSettings settings{cluster.brokers(), {}};
  auto producer = Producer::Open(settings);
  ASSERT_TRUE(producer.ok()) << producer.status().message();
  std::vector<Record> sent;
  auto send = [&](std::vector<Record> records) {
    std::vector<Status> statuses = (*producer)->Send("tutti.inputs", records, 60s);
    for (const Status& s : statuses) EXPECT_TRUE(s.ok()) << s.message();
    sent.insert(sent.end(), records.begin(), records.end());
  };
  send(Records(0, 500));
  // A broker stops answering while a batch is under way, and comes back:
  // the batch waits, then is written once.
  ASSERT_EQ(cluster.Command("down 1"), "ok");
  std::thread up([&] {
    std::this_thread::sleep_for(1500ms);
    EXPECT_EQ(cluster.Command("up 1"), "ok");
  });
  send(Records(500, 500));
  up.join();
  // Produce requests (API key 0) refused: NOT_LEADER_FOR_PARTITION (6),
  // then REQUEST_TIMED_OUT (7), where the record may or may not have been
  // written: the idempotent producer's retries write it once.
  ASSERT_EQ(cluster.Command("errors 0 3 6"), "ok");
  send(Records(1000, 500));
  ASSERT_EQ(cluster.Command("errors 0 2 7"), "ok");
  send(Records(1500, 500));
  ExpectEachOnceInOrder(ReadAll(settings, "tutti.inputs", 6), sent, 6);
}

TEST(Kafka, SettingsThatWouldBreakTheGuaranteesAreRefused) {
  EXPECT_EQ(CheckSettings({"", {}}).code(), StatusCode::kInvalid);
  EXPECT_TRUE(CheckSettings({"127.0.0.1:9092", {{"socket.timeout.ms", "10000"}}}).ok());
  Status owned = CheckSettings({"127.0.0.1:9092", {{"enable.idempotence", "false"}}});
  EXPECT_EQ(owned.code(), StatusCode::kInvalid);
  EXPECT_NE(owned.message().find("enable.idempotence"), std::string::npos) << owned.message();
  Status unknown = CheckSettings({"127.0.0.1:9092", {{"sasl.pasword", "s3cret"}}});
  EXPECT_EQ(unknown.code(), StatusCode::kInvalid);
  EXPECT_EQ(unknown.message().find("s3cret"), std::string::npos) << "a value quoted: " << unknown.message();
  EXPECT_EQ(Producer::Open({"127.0.0.1:9092", {{"acks", "1"}}}).status().code(), StatusCode::kInvalid);
}

}  // namespace
}  // namespace tutti::runtime::cluster
