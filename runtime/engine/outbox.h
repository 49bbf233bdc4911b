#pragma once
// The outbox: the action requests the engine has decided on, in the order
// decided, waiting to be delivered by channel adapters. Each carries its
// idempotency key, so a delivery that is retried (after a crash and a
// replay, or a timeout) can be recognised by the receiver. The engine only
// appends; a deliverer takes pending entries and reports what happened.
//
// Sequence numbers are dense and start at 1; they are the cursor of the
// daemon's action log (`GET /v1/actions?since=`). The daemon trims final
// entries from the front so that the outbox does not grow without bound.

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "runtime/engine/decision.h"

namespace tutti::runtime {

/// kHandedOver is a Kafka cluster node's only (docs/cluster.md,
/// "Delivery"), never in a snapshot: the action went back to the actions
/// topic (its partition moved to another node, or a dead letter was sent
/// again), and whichever node reads it there delivers it.
enum class DeliveryState { kPending, kDelivered, kFailed, kDeadLetter, kHandedOver };

/// Delivered, dead-lettered or handed over: nothing more is done with it here.
inline bool Final(DeliveryState s) {
  return s == DeliveryState::kDelivered || s == DeliveryState::kDeadLetter || s == DeliveryState::kHandedOver;
}

struct OutboxEntry {
  uint64_t seq = 0;
  Decision action;  // kind kAction
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
};

class Outbox {
 public:
  /// Appends an action; returns its sequence number.
  uint64_t Append(Decision&& action);
  uint64_t Append(const Decision& action);
  /// Up to `limit` entries with seq > `since`, in order.
  std::vector<const OutboxEntry*> Since(uint64_t since, size_t limit) const;
  /// The entry `seq`, if still held.
  const OutboxEntry* Find(uint64_t seq) const {
    return seq >= first_seq_ && seq - first_seq_ < entries_.size() ? &entries_[seq - first_seq_] : nullptr;
  }
  /// Records a delivery attempt's outcome. False for an unknown seq.
  bool Report(uint64_t seq, DeliveryState state);
  /// Forgets the entries from the front, up to and including `through`,
  /// that reached a final state (delivered, dead letter); stops at the
  /// first that has not. Sequence numbers do not change.
  void Trim(uint64_t through);
  /// The oldest entry still held (last_seq() + 1 when none is).
  uint64_t first_seq() const { return first_seq_; }
  /// Removes the oldest entry, whatever its state, and returns it (the
  /// outbox must not be empty). Sequence numbers do not change.
  OutboxEntry PopFront();
  /// Removes the newest `n` entries (at most size()) and returns them,
  /// oldest first.
  std::deque<OutboxEntry> TakeNewest(size_t n);
  /// Takes on the entries another outbox held (a snapshot), numbered from
  /// `first_seq`.
  void Restore(uint64_t first_seq, std::deque<OutboxEntry> entries);
  size_t pending() const { return pending_; }
  size_t size() const { return entries_.size(); }
  uint64_t last_seq() const { return first_seq_ + entries_.size() - 1; }

 private:
  /// A new entry at the end, numbered and counted pending, for `action`.
  OutboxEntry& NewEntry(const Decision& action);
  std::deque<OutboxEntry> entries_;
  uint64_t first_seq_ = 1;
  size_t pending_ = 0;
};

}  // namespace tutti::runtime
