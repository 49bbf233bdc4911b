#pragma once
// One partition of tutti.inputs, owned by this node (docs/cluster.md): its
// engine, which owns the customers whose keys the partition function gives
// to it and holds every profile (profiles are copied to every partition);
// and its transactional producer, which writes what a batch of the
// partition made (actions, dead letters) with the consumed offset in one
// Kafka transaction.
//
// Taking a partition over (Open) fences the previous owner's producer and
// reads the tail of the partition's actions to learn the last output the
// previous owners wrote (its sequence number and input offset). The
// engine is deterministic: replaying the partition from the start makes
// the same actions with the same sequence numbers, and those already
// written are skipped, so nothing is written twice, even where Kafka's
// transactions are not kept (the mock cluster) and a crash fell between
// an output written and the group's offset moving.
//
// A profile, or an event some journey fans out, that a producer other than
// Tutti wrote to this partition only is written on to every other
// partition in the batch's transaction, marked with its partition and
// offset; a partition applies each such copy once (docs/cluster.md,
// "Audiences across partitions").
//
// Every `snapshot_every` inputs, after a commit, the engine's state is
// written to the snapshots topic with the input offset it covers; a
// takeover restores the newest one and replays only what follows it.
//
// Not thread-safe: the node's consumer thread alone calls it.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/cluster/kafka.h"
#include "runtime/cluster/topic_records.h"
#include "runtime/cluster/transaction.h"
#include "runtime/engine/engine.h"
#include "runtime/engine/journey_set.h"

namespace tutti::runtime::cluster {

/// The topics of a cluster (the `kafka` setting's names).
struct Topics {
  std::string inputs = "tutti.inputs";
  std::string actions = "tutti.actions";
  std::string snapshots = "tutti.snapshots";
  std::string dead_letters = "tutti.dead-letters";
  std::string control = "tutti.control";
};

/// What a partition takes from its node's settings.
struct PartitionSettings {
  KafkaSettings kafka;
  std::string group = "tutti";
  Topics topics;
  /// Time moves only with clock records (and event times); otherwise an
  /// event read without `at` happened at its record's timestamp.
  bool virtual_clock = false;
  /// The system clock: a partition gets a clock record at most this often.
  std::chrono::milliseconds tick{200};
  std::chrono::milliseconds timeout{30000};  // a transaction's commit, a takeover
  /// A read of a partition's engine waits at most this long for the
  /// node's thread (Node::Read).
  std::chrono::milliseconds read_wait{5000};
  /// A partition's state is written to the snapshots topic once it has
  /// applied this many inputs since the last; 0: never.
  uint64_t snapshot_every = 1000000;
  /// The snapshots topic's partition count (Node::Start reads it).
  int32_t snapshot_partitions = 1;
};

/// What a partition has done since it was taken over.
struct PartitionWork {
  uint64_t applied = 0;          // input records applied (not counting dead letters)
  uint64_t actions_written = 0;  // actions written to tutti.actions
  uint64_t actions_skipped = 0;  // actions made again by a replay, already written
  uint64_t dead_letters = 0;     // inputs that did not decode
  uint64_t forwarded = 0;        // inputs another producer wrote here only, written on to every other partition
  uint64_t copies_skipped = 0;   // inputs written on by another partition, applied here already
  uint64_t transactions = 0;     // transactions committed
  uint64_t versions_taken = 0;   // version records that switched the journeys
  uint64_t versions_refused = 0;  // version records whose journeys could not be taken over here
  uint64_t snapshots = 0;        // snapshots written
  uint64_t snapshot_failures = 0;
  /// The takeover's snapshot: the input offset it covered (-1: none,
  /// replayed from the start) and how long reading and restoring it took.
  int64_t restored_offset = -1;
  double restore_seconds = 0;
};

/// The versions of the journeys a partition may meet, by fingerprint: the
/// node's, published through the control topic (node.h).
class Versions {
 public:
  virtual ~Versions() = default;
  /// The version every partition runs before its first version record.
  virtual const JourneySet& First() = 0;
  /// Version `fingerprint`, reading the control topic until it comes if
  /// it is not known yet; null when it was never published.
  virtual const JourneySet* Find(const std::string& fingerprint) = 0;
};

class PartitionWorker {
 public:
  /// Takes partition `partition` (of `partitions`) over; its versions
  /// come from `versions`, which must outlive the worker.
  static Result<std::unique_ptr<PartitionWorker>> Open(const PartitionSettings& settings, Versions& versions,
                                                       int32_t partition, int32_t partitions);

  /// The input offset to read the partition from: the restored
  /// snapshot's, or 0.
  int64_t start_offset() const { return start_offset_; }
  /// Applies records of the partition, in offset order, continuing where
  /// the last batch ended, and writes what they made. kConflict: another
  /// node took the partition over (stop applying it); kUnavailable: the
  /// write failed and the engine is past what was written (open the
  /// partition again). After either, the worker is unusable.
  Status Apply(const std::vector<const Record*>& batch);

  int32_t partition() const { return partition_; }
  int64_t next_offset() const { return next_offset_; }
  const PartitionWork& counts() const { return counts_; }
  Engine& engine() { return *engine_; }
  /// How long Open took (fencing, reading the actions' tail).
  double open_seconds() const { return open_seconds_; }

 private:
  PartitionWorker() = default;
  /// The last action the partition's earlier owners wrote, if any.
  Status ReadWrittenTail();
  /// Restores the partition's newest whole snapshot written under these
  /// journeys, if there is one; the engine is fresh otherwise.
  void RestoreNewestSnapshot();
  /// Takes version `fingerprint` over (a version record), or refuses it
  /// as every replay will: the same version, refused the same way.
  void TakeVersion(const std::string& fingerprint);
  /// A fresh engine on the versions `fingerprints`, taken over in order;
  /// null when one is not known.
  std::unique_ptr<Engine> EngineOn(const std::vector<std::string>& fingerprints);
  /// What a batch made: an action, a dead letter, or an input written on
  /// to another partition.
  struct Output {
    const std::string* topic;
    Record record;
  };
  /// Applies input record `r` of the batch, `in` as ReadInput read it,
  /// adding what it makes to `writes` unless an earlier owner wrote it.
  /// False when it was not applied: refused (`in` says why), or a copy
  /// applied already.
  bool ApplyRecord(const Record& r, Input& in, std::vector<Output>& writes);
  /// Whether some journey the engine runs fans `event` out or routes it
  /// to other customers (remembered until the next version).
  bool ReachesOthers(const std::string& event);
  /// Writes `writes` with the consumed offset next_offset_, in one
  /// transaction.
  Status Write(const std::vector<Output>& writes);
  /// Writes the engine's state as of next_offset_ (after a commit). A
  /// failure is counted and changes nothing, unless the producer was
  /// fenced (kConflict).
  Status WriteSnapshot();

  PartitionSettings settings_;
  Versions* versions_ = nullptr;
  const JourneySet* set_ = nullptr;  // the version running now
  std::vector<std::string> taken_;   // the versions the engine took over, in order, set_'s last
  EngineOptions engine_options_;
  int32_t partition_ = 0;
  int32_t partitions_ = 0;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<PartitionProducer> producer_;
  uint64_t written_through_ = 0;       // actions with seq up to here are in tutti.actions
  int64_t written_source_offset_ = -1;  // the input offset the last of them came from
  int64_t next_offset_ = 0;
  int64_t start_offset_ = 0;
  /// By partition, the offset of the last of its inputs written on here
  /// that this partition applied: in the snapshot, with the state.
  std::map<int32_t, int64_t> copies_seen_;
  std::map<std::string, bool> reaches_others_;
  uint64_t forwarded_ = 0;  // inputs written on in the batch being applied, not committed yet
  uint64_t applied_at_snapshot_ = 0;  // counts_.applied when the last snapshot was taken
  std::chrono::steady_clock::time_point committed_at_;
  PartitionWork counts_;
  double open_seconds_ = 0;
};

}  // namespace tutti::runtime::cluster
