#include "runtime/engine/outbox.h"

#include <algorithm>
#include <iterator>

#include "base/check.h"

namespace tutti::runtime {

OutboxEntry& Outbox::NewEntry(const Decision& action) {
  TUTTI_CHECK(action.kind == DecisionKind::kAction, "only actions are delivered");
  OutboxEntry& e = entries_.emplace_back();
  e.seq = first_seq_ + entries_.size() - 1;
  ++pending_;
  return e;
}

uint64_t Outbox::Append(Decision&& action) {
  OutboxEntry& e = NewEntry(action);
  e.action = std::move(action);
  return e.seq;
}

uint64_t Outbox::Append(const Decision& action) {
  // Copied straight into its entry (a Decision is a few dozen fields wide).
  OutboxEntry& e = NewEntry(action);
  e.action = action;
  return e.seq;
}

std::vector<const OutboxEntry*> Outbox::Since(uint64_t since, size_t limit) const {
  std::vector<const OutboxEntry*> out;
  uint64_t start = since < first_seq_ ? 0 : since - first_seq_ + 1;
  for (uint64_t i = start; i < entries_.size() && out.size() < limit; ++i) out.push_back(&entries_[i]);
  return out;
}

void Outbox::Trim(uint64_t through) {
  while (!entries_.empty() && first_seq_ <= through && Final(entries_.front().state)) {
    entries_.pop_front();
    ++first_seq_;
  }
}

OutboxEntry Outbox::PopFront() {
  TUTTI_CHECK(!entries_.empty(), "PopFront on an empty outbox");
  OutboxEntry e = std::move(entries_.front());
  entries_.pop_front();
  ++first_seq_;
  if (e.state == DeliveryState::kPending) --pending_;
  return e;
}

std::deque<OutboxEntry> Outbox::TakeNewest(size_t n) {
  n = std::min(n, entries_.size());
  auto from = entries_.end() - static_cast<std::ptrdiff_t>(n);
  std::deque<OutboxEntry> out(std::make_move_iterator(from), std::make_move_iterator(entries_.end()));
  entries_.erase(from, entries_.end());
  for (const OutboxEntry& e : out)
    if (e.state == DeliveryState::kPending) --pending_;
  return out;
}

void Outbox::Restore(uint64_t first_seq, std::deque<OutboxEntry> entries) {
  entries_ = std::move(entries);
  first_seq_ = first_seq;
  pending_ = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    entries_[i].seq = first_seq_ + i;
    if (entries_[i].state == DeliveryState::kPending) ++pending_;
  }
}

bool Outbox::Report(uint64_t seq, DeliveryState state) {
  if (seq < first_seq_ || seq - first_seq_ >= entries_.size()) return false;
  OutboxEntry& e = entries_[seq - first_seq_];
  ++e.attempts;
  if (e.state == DeliveryState::kPending && state != DeliveryState::kPending) --pending_;
  if (e.state != DeliveryState::kPending && state == DeliveryState::kPending) ++pending_;
  e.state = state;
  return true;
}

}  // namespace tutti::runtime
