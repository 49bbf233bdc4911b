#pragma once
// Writes a run's decisions as NDJSON lines (ToJson) on a thread of its own,
// so that putting them into words overlaps the run that makes them. At
// most `max_waiting` batches wait to be written: a run that decides faster
// than its output is written waits for it, so the memory a long
// simulation holds is its state's, not its output's.

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/engine/decision.h"

namespace tutti::runtime {

class DecisionWriter {
 public:
  /// Writes to `out`, which must stay open until Finish returns.
  explicit DecisionWriter(std::FILE* out, size_t max_waiting = 8);
  /// Finishes (the decisions handed over are written).
  ~DecisionWriter();
  DecisionWriter(const DecisionWriter&) = delete;
  DecisionWriter& operator=(const DecisionWriter&) = delete;

  /// Queues `batch`, in order after the ones before; waits while
  /// max_waiting batches are queued. Not after Finish.
  void Write(std::vector<Decision> batch);
  /// Writes what is queued, flushes `out` and stops the thread. False when
  /// a write failed (the output is then incomplete: a full disk, a closed
  /// pipe). Later calls return the same.
  bool Finish();

 private:
  void Loop();

  std::FILE* out_;
  const size_t max_waiting_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::vector<Decision>> queued_;  // guarded by mu_
  bool finishing_ = false;                    // guarded by mu_
  bool failed_ = false;                       // written by the thread; read after join
  std::thread thread_;
};

}  // namespace tutti::runtime
