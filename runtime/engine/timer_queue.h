#pragma once
// The timer queue: every pending wake-up of every journey instance, as one
// compact entry (24 bytes) in a binary heap ordered by due time, then by the
// order the timers were set. No OS timer per wait: the driver asks for the
// earliest due time and advances the engine to it.
//
// Cancelling is lazy: an instance bumps its generation when it stops
// waiting, and entries whose generation no longer matches are dropped when
// they reach the top.

#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/engine/instant.h"

namespace tutti::runtime {

struct TimerEntry {
  Instant due = 0;
  uint64_t seq = 0;         // tie-break: the order timers were set
  uint32_t instance = 0;    // the instance's handle
  uint32_t generation = 0;  // the instance's generation when set
};

class TimerQueue {
 public:
  void Push(Instant due, uint32_t instance, uint32_t generation);
  /// The earliest entry, if any (possibly a cancelled one).
  std::optional<TimerEntry> Peek() const;
  TimerEntry Pop();
  size_t size() const { return heap_.size(); }
  bool empty() const { return heap_.empty(); }
  /// Every entry, in heap order (for inspection; cancelled ones included).
  const std::vector<TimerEntry>& entries() const { return heap_; }
  /// The sequence number the next timer gets.
  uint64_t next_seq() const { return next_seq_; }
  /// Takes on the entries (in heap order) and counter of another queue's
  /// entries() and next_seq() (a snapshot); false, and nothing changed,
  /// unless they form a heap numbered below `next_seq`.
  bool Restore(std::vector<TimerEntry> heap, uint64_t next_seq);

 private:
  struct Later {
    bool operator()(const TimerEntry& a, const TimerEntry& b) const {
      return a.due != b.due ? a.due > b.due : a.seq > b.seq;
    }
  };
  std::vector<TimerEntry> heap_;  // a binary heap under Later
  uint64_t next_seq_ = 0;
};

}  // namespace tutti::runtime
