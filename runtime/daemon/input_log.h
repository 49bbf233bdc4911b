#pragma once
// The daemon's durable input log, in RocksDB: every input the engine was
// given (profiles, events, clock advances), in order, with the engine time
// it was applied at. An input is acknowledged only after Append returns,
// that is after the write is synced to RocksDB's write-ahead log. On start
// the log is replayed into a fresh engine, which, being deterministic,
// rebuilds exactly the state it had: instances, timers, caps, history and
// the outbox with the same idempotency keys. The journeys are inputs too:
// the log starts with the sources of the version it was written under, and
// holds those of every version a reload took on, where it took it on.
//
// Once a snapshot holds the state up to some entry, the entries before an
// older snapshot are dropped (Drop): the log then starts at first().
//
// Keys:  "i" + seq (8 bytes, big-endian)   -> at (8 bytes) kind (1) text
//        "m:first"                         -> the first entry not dropped
//        "m:delivered"                     -> outbox seq dispatched through
//        "m:shards"                        -> how many shards the log is applied to
//        "d" + seq (8 bytes, big-endian)   -> final state of a webhook delivery

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "runtime/engine/instant.h"

namespace rocksdb {
class DB;
struct Options;
class Status;
class WriteBatch;
}

namespace tutti::runtime {

class InputLog {
 public:
  enum class Kind : char { kProfile = 'p', kEvent = 'e', kClock = 'c', kPause = 'z', kResume = 'r', kJourneys = 'j' };
  struct Entry {
    Instant at = 0;   // engine time the input was applied at
    Kind kind = Kind::kEvent;
    /// The NDJSON line (profiles, events); the journey (pause, resume);
    /// empty for clock advances; a version of the journeys, as
    /// {"fingerprint": F, "files": [[PATH, TEXT], ...]} (journeys: the log's
    /// first entry, and every reload).
    std::string text;
  };

  /// Opens (creating) the log under `dir`, or says why it cannot.
  static std::variant<std::unique_ptr<InputLog>, std::string> Open(const std::string& dir);
  ~InputLog();

  /// Appends `batch` atomically and durably (synced). An error message
  /// when the write failed (a full disk, a broken volume): nothing of the
  /// batch is then in the log, and nothing may be acknowledged.
  std::optional<std::string> Append(const std::vector<Entry>& batch);
  /// Calls `fn` on every entry from `from` on, in order; an error message
  /// if reading fails.
  std::optional<std::string> Replay(uint64_t from, const std::function<void(const Entry&)>& fn) const;
  /// Deletes the entries before `before` (a snapshot holds their effect).
  std::optional<std::string> Drop(uint64_t before);
  /// The first entry not dropped (0 until a Drop).
  uint64_t first() const { return first_; }
  /// Records that outbox entries up to `seq` were dispatched: written to
  /// the file sink, or handed to their channel's webhook. Not synced: after
  /// a crash the last few may be dispatched again (at least once).
  std::optional<std::string> SetDelivered(uint64_t seq);
  uint64_t delivered() const { return delivered_; }
  /// Records the final state of outbox entries delivered one by one (by a
  /// webhook): 'd' delivered, 'x' dead letter.
  std::optional<std::string> SetFinal(uint64_t seq, char state);
  /// Every final state recorded, by outbox sequence number.
  std::map<uint64_t, char> Finals() const;
  /// How many shards (engines) the log is applied to: fixed when it was
  /// first written, since the outbox's order and numbering (which the
  /// delivery cursor counts in) depend on it. 0 when none was recorded
  /// (a log written before shards: one).
  uint32_t shards() const { return shards_; }
  std::optional<std::string> SetShards(uint32_t shards);
  uint64_t size() const { return next_seq_; }
  /// The last write failed: the log takes no input until one succeeds.
  bool failing() const { return failing_; }

 private:
  InputLog() = default;
  static rocksdb::Options Options();
  /// Records `value` under `key` ("m:..."); an error naming `what` if the
  /// write fails.
  std::optional<std::string> PutNumber(const char* key, uint64_t value, bool sync, const char* what);
  /// Every write goes through here; after a failed one it recovers first.
  rocksdb::Status Write(rocksdb::WriteBatch* batch, bool sync);
  /// Makes the database take writes again after a failed one, and drops
  /// what a refused batch may have left in it.
  rocksdb::Status Recover();
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  uint64_t next_seq_ = 0;
  uint64_t first_ = 0;
  uint64_t delivered_ = 0;
  uint32_t shards_ = 0;
  bool failing_ = false;
};

}  // namespace tutti::runtime
