#pragma once
// Tutti's side of Kafka: the only code that includes librdkafka
// (docs/cluster.md). It gives the rest of the cluster room what it needs
// and no more, with failures as Status values:
//
//   - a Producer that writes keyed records and returns once each is
//     acknowledged by every in-sync replica (acks=all, idempotent: a
//     retry after a lost answer never writes a record twice), or says why
//     it was not;
//   - a Reader that reads a range of one partition, committed records only
//     (read_committed), in order, with their offsets;
//   - the partition counts of topics.
//
// Settings: the bootstrap list, and a `librdkafka` object of client
// properties passed through as they are (security.protocol, sasl.*,
// ssl.*, timeouts), except the few this file owns because correctness
// depends on them (enable.idempotence, acks, isolation.level,
// partitioner): setting one of those is refused, not overridden.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace tutti::runtime::cluster {

struct KafkaSettings {
  std::string brokers;                          // host:port[,host:port...]
  std::map<std::string, std::string> librdkafka;  // passed through to the client
};

/// Whether `settings` can make a client: every librdkafka property known
/// and its value acceptable, none of those this room owns. kInvalid with
/// the property named (its value is never quoted: it may be a password).
Status CheckSettings(const KafkaSettings& settings);

/// A keyed record to write, or one read with where it was.
struct Record {
  std::string key;
  std::string value;
  int32_t partition = -1;  // written: -1 for the key's (KafkaPartitionOf)
  int64_t offset = -1;     // read, or written once acknowledged
  int64_t timestamp_ms = -1;  // read: the record's timestamp (its producer's clock), if it has one
  /// Its header kOriginHeader, written when not empty; read, at most
  /// kMaxOriginBytes + 1 bytes of it (longer is not Tutti's). Which
  /// partitions an input was written to (topic_records.h, Origin).
  std::string origin{};
};
constexpr char kOriginHeader[] = "tutti-origin";
constexpr size_t kMaxOriginBytes = 64;

class Producer {
 public:
  /// A client for `settings` (idempotent, acks=all, murmur2 partitioning
  /// of keys as Kafka's Java clients do).
  static Result<std::unique_ptr<Producer>> Open(const KafkaSettings& settings);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  /// Writes `records` to `topic` and waits (up to `timeout`) until every
  /// one is acknowledged or failed. Fills each record's partition and
  /// offset; returns one Status per record, in order. Records to one
  /// partition keep their order. A record not acknowledged by `timeout`
  /// is kUnavailable: it may still be written later (the caller must not
  /// acknowledge it, and may send it again: its consumer sees it at least
  /// once).
  std::vector<Status> Send(const std::string& topic, std::vector<Record>& records, std::chrono::milliseconds timeout);

 private:
  struct Handle;
  explicit Producer(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
};

class Reader {
 public:
  /// A client reading committed records of `topic`'s partition
  /// `partition` from `offset` on (assigned, not in a group).
  static Result<std::unique_ptr<Reader>> Open(const KafkaSettings& settings, const std::string& topic,
                                              int32_t partition, int64_t offset);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  /// The next records, up to `max`, waiting up to `wait` for the first:
  /// empty when none came. kUnavailable when the partition cannot be read
  /// (the cluster reported an error that does not pass).
  Result<std::vector<Record>> Next(size_t max, std::chrono::milliseconds wait);
  /// The partition's end: the offset the next committed record will have
  /// (its last stable offset), as the cluster says now.
  Result<int64_t> End(std::chrono::milliseconds timeout);
  /// Where the reader is: the offset after the last record (or
  /// transaction marker) it has passed; -1 before it has read any.
  int64_t Position();
  /// Every committed record before offset `to` (which End gave), each
  /// passed to `each` in order, reading on until the reader has passed
  /// `to`. kUnavailable when `timeout` runs out first: a slow fetch is
  /// never taken for the end of the range.
  Status ReadTo(int64_t to, std::chrono::milliseconds timeout, const std::function<void(const Record&)>& each);

 private:
  struct Handle;
  explicit Reader(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
};

/// Where a partition's committed records begin and end: the offset of the
/// first still held, and the one the next will have (its last stable
/// offset).
struct PartitionRange {
  int64_t low = 0;
  int64_t high = 0;
};

/// A client that only asks where partitions begin and end. It never
/// fetches: a broker answers one request of a connection at a time, and
/// a consumer's question waits behind the fetch the broker holds open on
/// its connection (up to fetch.wait.max.ms, 500 ms by default).
class EndProbe {
 public:
  static Result<std::unique_ptr<EndProbe>> Open(const KafkaSettings& settings);
  ~EndProbe();
  EndProbe(const EndProbe&) = delete;
  EndProbe& operator=(const EndProbe&) = delete;

  /// The range of each of `partitions` of `topic`, as the cluster says
  /// now; kUnavailable when one is not answered within `timeout`.
  Result<std::map<int32_t, PartitionRange>> Ranges(const std::string& topic, const std::vector<int32_t>& partitions,
                                                   std::chrono::milliseconds timeout);

 private:
  struct Handle;
  explicit EndProbe(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
};

/// How many partitions each of `topics` has, by name; kNotFound naming a
/// topic the cluster does not have.
Result<std::map<std::string, int32_t>> PartitionCounts(const KafkaSettings& settings,
                                                        const std::vector<std::string>& topics,
                                                        std::chrono::milliseconds timeout);

}  // namespace tutti::runtime::cluster
