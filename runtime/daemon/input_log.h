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
// Damage is loud (docs/operations.md, "Faults"): a write-ahead log whose
// records do not check (a flipped byte) or a table that fails its checksum
// when read refuses the open or the replay with a kCorruption, unless the
// operator accepts the loss (OpenOptions::accept_data_loss): then what
// can be read is kept, the rest is cut off, and damage() says what was
// lost. Only a write cut short at the very end (a power loss during a
// write that was never acknowledged) is dropped silently. A data folder
// deleted or replaced under a running daemon fails every later write.
//
// Keys:  "i" + seq (8 bytes, big-endian)   -> at (8 bytes) kind (1) text
//        "m:first"                         -> the first entry not dropped
//        "m:delivered"                     -> outbox seq dispatched through
//        "m:shards"                        -> how many shards the log is applied to
//        "d" + seq (8 bytes, big-endian)   -> final state of a routed delivery
//        "a" + seq (8 bytes, big-endian)   -> attempts made so far at a routed delivery

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
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
    /// Its place in the log: given by Replay and Read (Append numbers the
    /// entries it writes from size() on, whatever this holds).
    uint64_t seq = 0;
  };
  /// A routed delivery's final state, written with the inputs it caused.
  struct Final {
    uint64_t seq = 0;
    char state = 'd';  // 'd' delivered, 'x' dead letter, 'r' a dead letter retried (pending again)
  };

  struct OpenOptions {
    /// Go on past damage: keep what can be read, cut off the rest, and
    /// report it through damage(); else damage refuses the open.
    bool accept_data_loss = false;
  };

  /// Opens (creating, with mode 0700) the log under `dir`. kCorruption when
  /// it is damaged and the loss is not accepted; kUnavailable when it
  /// cannot be opened (locked by another daemon, no permission).
  static Result<std::unique_ptr<InputLog>> Open(const std::string& dir, const OpenOptions& options);
  ~InputLog();

  /// Appends `batch` and records `finals` atomically and durably (synced).
  /// A failure (a full disk, a broken volume, the folder gone) leaves
  /// nothing of the batch in the log, and nothing may be acknowledged.
  Status Append(const std::vector<Entry>& batch, const std::vector<Final>& finals = {});
  /// Calls `fn` on every entry from `from` on, in order. kCorruption when
  /// an entry cannot be read (then `*stopped_at`, if given, is the first
  /// entry not read).
  Status Replay(uint64_t from, const std::function<void(const Entry&)>& fn, uint64_t* stopped_at = nullptr) const;
  /// Entry `seq`: kNotFound when the log no longer holds it (dropped
  /// after a snapshot) or not yet; kCorruption when it cannot be read.
  Result<Entry> Read(uint64_t seq) const;
  /// Deletes the entries from `from` on: what follows damage the operator
  /// accepted to lose, so that new inputs continue the readable part.
  Status CutAt(uint64_t from);
  /// Deletes the entries before `before` (a snapshot holds their effect),
  /// and the final states and attempt counts of outbox entries before
  /// `outbox_before` (no snapshot kept holds those entries any more).
  Status Drop(uint64_t before, uint64_t outbox_before = 0);
  /// The first entry not dropped (0 until a Drop).
  uint64_t first() const { return first_; }
  /// Records that outbox entries up to `seq` were dispatched: written to
  /// the file sink, or handed to their channel's adapter. Not synced: after
  /// a crash the last few may be dispatched again (at least once).
  Status SetDelivered(uint64_t seq);
  uint64_t delivered() const { return delivered_; }
  /// Records that an attempt at delivering outbox entry `seq` starts: the
  /// `attempts`-th. Not synced (a process crash keeps it; a power loss may
  /// forget the last few), so a retry budget survives restarts.
  Status SetAttempts(uint64_t seq, uint32_t attempts);
  /// Records that dead letter `seq` is to be delivered again (an
  /// operator's retry): its final state becomes 'r' and its attempt count
  /// is forgotten, durably (synced), so that a restart attempts it again
  /// with a whole budget whatever state a snapshot holds for it.
  Status SetRetried(uint64_t seq);
  /// Every final state recorded, and every attempt count of an entry not
  /// final yet, by outbox sequence number.
  std::map<uint64_t, char> Finals() const;
  std::map<uint64_t, uint32_t> Attempts() const;
  /// How many shards (engines) the log is applied to: fixed when it was
  /// first written, since the outbox's order and numbering (which the
  /// delivery cursor counts in) depend on it. 0 when none was recorded
  /// (a log written before shards: one).
  uint32_t shards() const { return shards_; }
  Status SetShards(uint32_t shards);
  uint64_t size() const { return next_seq_; }
  /// The last write failed: the log takes no input until one succeeds.
  bool failing() const { return failing_; }
  /// After a failed write, tries to make the log take writes again (a
  /// small synced write), so that readiness comes back by itself once
  /// there is room, not only with the next input.
  void Probe();
  /// What damage was found and accepted at the open (empty: none).
  const std::string& damage() const { return damage_; }
  /// Whether the folder the log was opened in is still there, the same
  /// folder (not deleted, not replaced); kUnavailable with why not.
  Status CheckFolder() const;

 private:
  InputLog() = default;
  static rocksdb::Options Options(bool accept_data_loss);
  /// Records `value` under `key` ("m:..."); a Status naming `what` if the
  /// write fails.
  Status PutNumber(const char* key, uint64_t value, bool sync, const char* what);
  /// Every write goes through here; after a failed one it recovers first.
  rocksdb::Status Write(rocksdb::WriteBatch* batch, bool sync);
  /// Makes the database take writes again after a failed one, and drops
  /// what a refused batch may have left in it.
  rocksdb::Status Recover();
  std::string dir_;
  dev_t device_ = 0;  // the folder as opened (CheckFolder)
  ino_t inode_ = 0;
  bool accept_data_loss_ = false;
  std::unique_ptr<rocksdb::DB> db_;
  uint64_t next_seq_ = 0;
  uint64_t first_ = 0;
  uint64_t delivered_ = 0;
  uint32_t shards_ = 0;
  bool failing_ = false;
  std::string damage_;
};

/// Decodes one stored entry value (at, kind, text); kCorruption when it is
/// not one (too short, or of no kind the log writes). Exposed for the
/// fuzzer of stored data.
Result<InputLog::Entry> DecodeLogEntry(std::string_view value);

}  // namespace tutti::runtime
