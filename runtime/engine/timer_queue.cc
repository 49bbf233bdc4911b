#include "runtime/engine/timer_queue.h"

namespace tutti::runtime {

void TimerQueue::Push(Instant due, uint32_t instance, uint32_t generation) {
  heap_.push(TimerEntry{due, next_seq_++, instance, generation});
}

std::optional<TimerEntry> TimerQueue::Peek() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.top();
}

TimerEntry TimerQueue::Pop() {
  TimerEntry top = heap_.top();
  heap_.pop();
  return top;
}

}  // namespace tutti::runtime
