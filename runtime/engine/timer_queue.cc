#include "runtime/engine/timer_queue.h"

#include <algorithm>

namespace tutti::runtime {

void TimerQueue::Push(Instant due, uint32_t instance, uint32_t generation) {
  heap_.push_back(TimerEntry{due, next_seq_++, instance, generation});
  std::push_heap(heap_.begin(), heap_.end(), Later());
}

std::optional<TimerEntry> TimerQueue::Peek() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front();
}

TimerEntry TimerQueue::Pop() {
  std::pop_heap(heap_.begin(), heap_.end(), Later());
  TimerEntry top = heap_.back();
  heap_.pop_back();
  return top;
}

bool TimerQueue::Restore(std::vector<TimerEntry> heap, uint64_t next_seq) {
  if (!std::is_heap(heap.begin(), heap.end(), Later())) return false;
  for (const TimerEntry& e : heap)
    if (e.seq >= next_seq) return false;
  heap_ = std::move(heap);
  next_seq_ = next_seq;
  return true;
}

}  // namespace tutti::runtime
