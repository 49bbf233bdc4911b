#pragma once
// The work queue: the work journeys gave colleagues that nobody has closed
// yet. Part of the engine's state, so it is deterministic, saved in
// snapshots (format 8 on) and rebuilt by a replay like everything else.
//
// A task opens when the engine decides an action that is work for someone:
// a `task` step (not a `notify`), or a send through a channel of kind task
// or case (a `rep_task` reminder, a `call_center_case`). Its id is the
// action's idempotency key, which the channel hands to the system that
// holds the work (the CRM's task list, the call center's case tool). That
// system reports back with the stdlib's events (stdlib/events.tutti):
//   task_completed  {assignee, task_id, outcome}  closes the task;
//   task_reassigned {assignee, task_id, ...}      gives it to `assignee`.
// An id the queue does not hold changes nothing (the CRM's own tasks, or a
// task already closed). A task nobody closes is forgotten once it is older
// than the engine's history retention.
//
// With several shards, each keeps the tasks its customers' journeys
// opened; every shard sees every event, so the one that holds a task
// closes it.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/key_index.h"
#include "runtime/engine/instant.h"

namespace tutti::runtime {

/// The events that close and hand on tasks (by these names).
inline constexpr std::string_view kTaskCompleted = "task_completed";
inline constexpr std::string_view kTaskReassigned = "task_reassigned";

class SnapshotReader;
class SnapshotWriter;

struct WorkTask {
  std::string id;        // the action's idempotency key
  /// Who holds it: the colleague's key; empty for a case in a channel's
  /// queue (sent to the customer, taken by whoever is free).
  std::string assignee;
  std::string customer;  // the customer of the journey that opened it
  std::string journey;
  int64_t version = 1;
  std::string step;
  /// The `via` channel of a task step ("task" without one), or the channel
  /// of a send.
  std::string channel;
  std::string content;  // the task's text, or the template id of a send
  Instant opened = 0;
  std::optional<Instant> due;
  /// The last reassignment: from whom, and when.
  std::string reassigned_from;
  std::optional<Instant> reassigned_at;
};

/// A task closed by a task_completed event.
struct ClosedTask {
  WorkTask task;
  Instant closed = 0;
  std::string outcome;  // as reported: "done", "not_reached", "declined", ...
};

class WorkQueue {
 public:
  WorkQueue() = default;
  // The index views the tasks' ids: a copy's would view the original's.
  // A move keeps the tasks where they are.
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;
  WorkQueue(WorkQueue&&) = default;
  WorkQueue& operator=(WorkQueue&&) = default;

  /// How many closed tasks are kept (the newest) for the console to show.
  static constexpr size_t kClosedKept = 200;
  /// How much of a reported outcome is kept (printable, cut at a
  /// character): it comes from outside, in an event of up to a request's
  /// size, and stays in the state.
  static constexpr size_t kOutcomeBytes = 100;

  /// Opens `task`; false, and nothing changes, when a task with its id is
  /// held (idempotency keys are unique, but they are hashes).
  bool Open(WorkTask task);
  /// Closes the open task `id` with `outcome` (its first kOutcomeBytes);
  /// false when none is held.
  bool Close(std::string_view id, Instant at, std::string outcome);
  /// Gives the open task `id` to `assignee`; false when none is held.
  bool Reassign(std::string_view id, std::string assignee, Instant at);
  /// Forgets the open tasks opened before `before`.
  void Forget(Instant before);

  /// The open tasks, oldest first.
  const std::map<uint64_t, WorkTask>& open() const { return open_; }
  const WorkTask* Find(std::string_view id) const;
  /// The newest closed tasks (at most kClosedKept), oldest first.
  const std::deque<ClosedTask>& closed() const { return closed_; }
  /// Every task ever closed, reassigned, or forgotten while open.
  int64_t closed_count() const { return closed_count_; }
  int64_t reassigned_count() const { return reassigned_count_; }
  int64_t forgotten_count() const { return forgotten_count_; }

  void Save(SnapshotWriter& out) const;
  /// Restores what Save wrote into an empty queue; failures go to `in`.
  void Restore(SnapshotReader& in);

 private:
  using OpenTasks = std::map<uint64_t, WorkTask>;
  OpenTasks open_;  // by the order opened
  /// Each open task by its id, read in the task itself: a task's entry
  /// goes before the task does. (A move of the queue keeps the tasks, and
  /// so the iterators, where they are.)
  KeyIndex<OpenTasks::iterator> by_id_;
  static const std::string& IdOf(OpenTasks::iterator task) { return task->second.id; }
  uint64_t next_ = 0;
  std::deque<ClosedTask> closed_;
  int64_t closed_count_ = 0, reassigned_count_ = 0, forgotten_count_ = 0;
};

}  // namespace tutti::runtime
