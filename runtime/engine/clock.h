#pragma once
// Where time comes from for whoever drives the engine. The engine core
// itself never asks: it is told the time with every input. `tutti
// simulate` and the tests drive it with a VirtualClock that jumps from one
// event or timer to the next; the daemon uses a SystemClock.

#include <chrono>

#include "runtime/engine/instant.h"

namespace tutti::runtime {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant Now() const = 0;
};

/// Time that moves only when told to (never backwards).
class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(Instant start = 0) : now_(start) {}
  Instant Now() const override { return now_; }
  void AdvanceTo(Instant t) {
    if (t > now_) now_ = t;
  }

 private:
  Instant now_;
};

/// The wall clock, for the daemon.
class SystemClock final : public Clock {
 public:
  Instant Now() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace tutti::runtime
