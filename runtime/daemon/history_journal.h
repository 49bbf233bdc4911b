#pragma once
// The daemon's history journal: every customer's and account's history
// with what the engine's 24-byte entries (Interaction) leave out, in
// RocksDB beside the input log (DATA/history):
//   - an event with its fields (the first kFieldsBytes of them);
//   - an action with its journey, version, step, template or text, and
//     idempotency key;
//   - a send the contact policy held back ("suppressed") or put off
//     ("deferred"), with the rule, where it is declared, and the reason.
// GET /v1/customers/{id}/history and /v1/accounts/{id}/history page it.
//
// It is written from the engine's outputs (EventNote, Decision) as the
// daemon takes them, by a thread of its own (Post), without a sync of its
// own, and synced before the input log drops what a snapshot holds (Sync):
// a crash loses nothing a replay from the snapshot kept does not write
// again. Keys depend only on the inputs (an event's place among its
// customer's entries at its instant, an action's idempotency key), so that
// a replay rewrites entries rather than adding them twice; and each write
// records, with its entries, how far the input log is journalled (next()),
// so that a replay need not write again what the journal already holds.
//
// Keys:  "h" profile key at kind tail   -> header, then the entry as JSON
//          profile, key: 2-byte big-endian length, then the bytes
//          at: 8 bytes, big-endian, sign bit flipped (time order)
//          kind: 1 event (tail: 4-byte shard and place), 2 a decision (tail:
//                'a' action, 's' suppressed, 'd' deferred, then its
//                idempotency key (or the one held back) and a NUL; without
//                one, its journey, version, customer, entry, step and
//                recipient, NUL between)
//        "m:since" -> the first instant journalled (8 bytes, little-endian)
//        "m:next"  -> the first input log entry whose entries may be missing
//                     (8 bytes, little-endian)
//   header: kind letter ('e', 'a', 's', 'd'), channel, NUL, journey, NUL
// Entries older than the history's retention are dropped by compactions
// (as the engine drops its own a month's worth at a time, lazily).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "runtime/engine/decision.h"
#include "runtime/engine/event_note.h"
#include "runtime/engine/instant.h"

namespace rocksdb {
class CompactionFilter;
class DB;
}

namespace tutti::runtime {

/// Which history entries a page shows (Service::GetHistory): from `from`
/// to `to` inclusive, and when named, of one kind ("event", "action",
/// "suppressed", "deferred"), one channel (its actions, suppressions and
/// deferrals) and one journey (the same, of any version).
struct HistoryFilter {
  Instant from = INT64_MIN, to = INT64_MAX;
  std::string kind, channel, journey;
};

class HistoryJournal {
 public:
  /// An event's fields are kept up to this many bytes of JSON, and none of
  /// more than kFieldBytes; the entry says when some were left out.
  static constexpr size_t kFieldsBytes = 4096;
  static constexpr size_t kFieldBytes = 1024;
  /// Customers (and profiles) with longer keys are not journalled.
  static constexpr size_t kMaxKeyBytes = 1024;
  /// The place of an entry after the customer's key: its time, kind and
  /// tail; entries with longer ones are not journalled either.
  static constexpr size_t kMaxTailBytes = 4 * kMaxKeyBytes;

  /// Opens (creating, with mode 0700: it holds personal data) the journal
  /// under `dir`. kUnavailable when it cannot be opened, kCorruption when
  /// it is damaged.
  static Result<std::unique_ptr<HistoryJournal>> Open(const std::string& dir);
  ~HistoryJournal();

  /// Whether the journal was made by this Open: then SetSince says from
  /// when on it holds every entry.
  bool fresh() const { return fresh_; }
  /// The first instant the journal holds every entry of (INT64_MIN: all
  /// of them); earlier entries are only in the engine's history.
  Instant since() const { return since_; }
  Status SetSince(Instant since);

  /// Writes the events' and the decisions' entries (actions, suppressions,
  /// deferrals; other kinds are not history), each under its customer and
  /// its customer's account, and records that the entries of every input
  /// before `next` are written. Not synced; not while posts are written.
  Status Add(const std::vector<EventNote>& events, const std::vector<Decision>& decisions, uint64_t next);
  /// Add, on the journal's own thread, in the order posted: the caller goes
  /// on at once, unless kMaxPosted posts are still waiting (then it waits).
  void Post(std::vector<EventNote> events, std::vector<Decision> decisions, uint64_t next);
  static constexpr size_t kMaxPosted = 64;
  /// Waits until every post is written (or refused).
  void Drain() const;
  /// Posts whose write was refused so far (each loses its entries' details).
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
  /// Why the last refused write was refused.
  std::string last_failure() const;
  /// The first input log entry whose entries may be missing, as the
  /// journal said when it was opened (0 for a new one).
  uint64_t next() const { return next_; }
  /// Drains, then makes every write so far durable.
  Status Sync();
  /// Entries before `cutoff` are past the history's retention: the next
  /// compaction that reads them drops them.
  void SetCutoff(Instant cutoff) { cutoff_->store(cutoff, std::memory_order_relaxed); }

  struct Page {
    std::vector<nlohmann::ordered_json> entries;  // oldest first, "at" first
    /// Where the next page starts (PageAfter's `after`); empty when none
    /// may follow.
    std::string next;
    size_t damaged = 0;  // entries that could not be read, left out
  };
  /// At most `limit` entries of `profile`'s customer `key` that `filter`
  /// lets through, after the place `after` (a Page::next; empty: from the
  /// start) and from `filter.from` on, scanning at most `scan` entries.
  /// `account`: the customer's entries say whose they are ("customer").
  Result<Page> PageAfter(std::string_view profile, std::string_view key, std::string_view after,
                         const HistoryFilter& filter, size_t limit, size_t scan) const;

  /// The stored form of one entry's value, and back (Decode refuses
  /// damage with a kCorruption). Exposed for tests and the fuzzer.
  struct Stored {
    char kind = 'e';
    std::string channel, journey;
    std::string json;  // the entry without "at"
  };
  static std::string Encode(const Stored& entry);
  static Result<Stored> Decode(std::string_view value);

 private:
  HistoryJournal() = default;
  /// The writer thread: Adds what is posted, in order, until closed.
  void WriteFromQueue();
  Status Put(void* batch, std::string_view profile, std::string_view key, Instant at, std::string_view tail,
             const Stored& entry);
  std::string dir_;
  bool fresh_ = false;
  Instant since_ = INT64_MIN;
  std::shared_ptr<std::atomic<Instant>> cutoff_ = std::make_shared<std::atomic<Instant>>(INT64_MIN);
  std::unique_ptr<rocksdb::CompactionFilter> filter_;  // outlives db_
  std::unique_ptr<rocksdb::DB> db_;
  uint64_t next_ = 0;          // as opened
  uint64_t written_next_ = 0;  // as last written (the writer's)
  struct Posted {
    std::vector<EventNote> events;
    std::vector<Decision> decisions;
    uint64_t next = 0;
  };
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::deque<Posted> posted_;  // waiting for the writer, oldest first
  bool writing_ = false;       // the writer holds a post it took
  bool closing_ = false;
  std::atomic<uint64_t> failures_{0};
  std::string last_failure_;
  std::thread writer_;         // last: started once the rest is set
};

/// An event's fields as JSON but `at` (the entry's time), at most
/// HistoryJournal::kFieldsBytes of them with none over kFieldBytes; `*cut`
/// says whether some were left out.
nlohmann::ordered_json BoundedFields(const compiler::eval::Value& record, bool* cut);

}  // namespace tutti::runtime
