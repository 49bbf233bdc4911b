// A partition's transactional producer (runtime/cluster/transaction.h)
// against the mock cluster: records committed together; a commit the
// coordinator refuses because a new owner fenced this producer is
// kConflict (stop processing the partition), a passing coordinator error
// is ridden out, and an abort leaves the producer ready for the next batch.
//
// The mock cluster of librdkafka 2.0.2 neither fences a producer when
// another takes its transactional id nor filters aborted records for
// read_committed readers, nor keeps offsets committed in a transaction
// (docs/cluster.md): fencing is injected as the error a real coordinator
// answers, and what readers see of aborted records is not checked.

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/cluster/kafka.h"
#include "runtime/cluster/transaction.h"
#include "tests/cluster/mock_cluster.h"

namespace tutti::runtime::cluster {
namespace {

using namespace std::chrono_literals;
using tutti::testing::MockCluster;

// Kafka's API keys and error codes, as the mock's `errors` command takes them.
constexpr int kEndTxn = 26;
constexpr int kProducerFenced = 90;
constexpr int kCoordinatorNotAvailable = 15;

Record Action(int n, int32_t partition) {
  return {"hcp-" + std::to_string(n), "{\"action\":" + std::to_string(n) + "}", partition};
}

/// How many records `partition` of `topic` holds, reading until at least
/// `expected` came (or 30 s went by) and then until none comes for 600 ms:
/// a fetch on a loaded machine can take longer than one quiet poll.
size_t CountRecords(const KafkaSettings& settings, const std::string& topic, int32_t partition, size_t expected) {
  auto reader = Reader::Open(settings, topic, partition, 0);
  EXPECT_TRUE(reader.ok()) << reader.status().message();
  size_t n = 0;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  for (int empty = 0; reader.ok() && empty < 2;) {
    auto batch = (*reader)->Next(1000, 300ms);
    EXPECT_TRUE(batch.ok());
    if (!batch.ok() || batch->empty()) {
      if (n >= expected || std::chrono::steady_clock::now() > deadline) ++empty;
    } else {
      n += batch->size();
    }
  }
  return n;
}

TEST(PartitionProducer, CommitsRecordsTogetherAndRidesOutACoordinatorAway) {
  MockCluster cluster;
  KafkaSettings settings{cluster.brokers(), {}};
  auto txn = PartitionProducer::Open(settings, "tutti", "tutti.inputs", 2, 30s);
  ASSERT_TRUE(txn.ok()) << txn.status().message();
  EXPECT_EQ((*txn)->transactional_id(), "tutti-tutti.inputs-2");
  ASSERT_TRUE((*txn)->Begin().ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*txn)->Add("tutti.actions", Action(i, 2)).ok());
  Status committed = (*txn)->Commit(5, 30s);
  ASSERT_TRUE(committed.ok()) << committed.message();
  EXPECT_EQ(CountRecords(settings, "tutti.actions", 2, 10), 10u);

  ASSERT_EQ(cluster.Command("errors " + std::to_string(kEndTxn) + " 2 " + std::to_string(kCoordinatorNotAvailable)),
            "ok");
  ASSERT_TRUE((*txn)->Begin().ok());
  ASSERT_TRUE((*txn)->Add("tutti.actions", Action(10, 2)).ok());
  committed = (*txn)->Commit(6, 30s);
  EXPECT_TRUE(committed.ok()) << committed.message();
  EXPECT_EQ(CountRecords(settings, "tutti.actions", 2, 11), 11u);

  // An abort, and the next batch goes on.
  ASSERT_TRUE((*txn)->Begin().ok());
  ASSERT_TRUE((*txn)->Add("tutti.actions", Action(11, 2)).ok());
  ASSERT_TRUE((*txn)->Abort(30s).ok());
  ASSERT_TRUE((*txn)->Begin().ok());
  ASSERT_TRUE((*txn)->Add("tutti.actions", Action(12, 2)).ok());
  EXPECT_TRUE((*txn)->Commit(7, 30s).ok());
}

TEST(PartitionProducer, AFencedCommitSaysThePartitionMovedOn) {
  MockCluster cluster;
  KafkaSettings settings{cluster.brokers(), {}};
  auto txn = PartitionProducer::Open(settings, "tutti", "tutti.inputs", 1, 30s);
  ASSERT_TRUE(txn.ok()) << txn.status().message();
  ASSERT_TRUE((*txn)->Begin().ok());
  ASSERT_TRUE((*txn)->Add("tutti.actions", Action(1, 1)).ok());
  ASSERT_EQ(cluster.Command("errors " + std::to_string(kEndTxn) + " 1 " + std::to_string(kProducerFenced)), "ok");
  Status zombie = (*txn)->Commit(3, 10s);
  EXPECT_EQ(zombie.code(), StatusCode::kConflict) << zombie.message();
  EXPECT_NE(zombie.message().find("taken over"), std::string::npos) << zombie.message();
}

}  // namespace
}  // namespace tutti::runtime::cluster
