#pragma once
// A partition's transactional producer (docs/cluster.md, "Exactly once
// inside Kafka"): what the engine made from a batch of one input
// partition (actions, records for other customers) and the consumed
// offset are written in one Kafka transaction, visible to read_committed
// readers all together or not at all.
//
// Its transactional id names the partition ("tutti-GROUP-PARTITION"), so
// the node that takes a partition over fences the one that had it: Open
// waits until the previous owner's open transaction is aborted, and from
// then on that owner's commits fail with kConflict ("fenced").
//
//   auto txn = PartitionProducer::Open(settings, "tutti", "tutti.inputs", 3, 30s);
//   (*txn)->Begin();
//   (*txn)->Add("tutti.actions", action);
//   (*txn)->Commit(next_offset, 30s);   // or Abort()
//
// The mock cluster of librdkafka 2.0.2, which the tests use, neither
// fences (each InitProducerId gets a new producer id) nor keeps offsets
// committed in a transaction: the tests inject the fenced error instead.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "runtime/cluster/kafka.h"

namespace tutti::runtime::cluster {

class PartitionProducer {
 public:
  /// The transactional producer of `input_topic`'s partition `partition`
  /// for consumer group `group`; fences any earlier one.
  static Result<std::unique_ptr<PartitionProducer>> Open(const KafkaSettings& settings, const std::string& group,
                                                         const std::string& input_topic, int32_t partition,
                                                         std::chrono::milliseconds timeout);
  /// A transactional producer that consumes nothing (a node's ingest: an
  /// input copied to every partition is written to all or to none), its
  /// id `transactional_id`; fences any earlier one with that id.
  static Result<std::unique_ptr<PartitionProducer>> Open(const KafkaSettings& settings,
                                                         const std::string& transactional_id,
                                                         std::chrono::milliseconds timeout);
  ~PartitionProducer();
  PartitionProducer(const PartitionProducer&) = delete;
  PartitionProducer& operator=(const PartitionProducer&) = delete;

  Status Begin();
  /// Adds a record to the open transaction (its partition: the record's,
  /// or its key's when -1). kUnavailable when the client's queue stays
  /// full for a minute (the cluster away): abort, and try the batch again.
  Status Add(const std::string& topic, const Record& record);
  /// Commits the transaction with the input partition's offset
  /// `next_offset` (the first record not processed) as the group's (what
  /// lag is measured from; where a partition resumes is kept in Tutti's own
  /// records, docs/cluster.md).
  /// (`next_offset` -1: none.)
  /// kConflict when this producer was fenced (another owner took the
  /// partition: stop processing it); kUnavailable when the commit failed
  /// and the transaction was aborted (process the batch again).
  Status Commit(int64_t next_offset, std::chrono::milliseconds timeout);
  /// Commits the transaction with no consumed offset (the ingest's).
  Status Commit(std::chrono::milliseconds timeout) { return Commit(-1, timeout); }
  Status Abort(std::chrono::milliseconds timeout);

  const std::string& transactional_id() const;

 private:
  struct Handle;
  static Result<std::unique_ptr<PartitionProducer>> Init(std::unique_ptr<Handle> handle, const KafkaSettings& settings,
                                                         std::chrono::milliseconds timeout);
  explicit PartitionProducer(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
};

}  // namespace tutti::runtime::cluster
