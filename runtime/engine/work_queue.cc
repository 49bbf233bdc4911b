#include "runtime/engine/work_queue.h"

#include <utility>

#include "base/check.h"
#include "base/text.h"
#include "runtime/engine/snapshot_codec.h"

namespace tutti::runtime {

bool WorkQueue::Open(WorkTask task) {
  // Placed first, so that the index's key can view the placed task's id;
  // taken back in the rare case that the id is held already.
  auto placed = open_.emplace_hint(open_.end(), next_, std::move(task));
  if (by_id_.Find(placed->second.id, IdOf)) {
    open_.erase(placed);
    return false;
  }
  by_id_.Add(placed->second.id, placed);
  ++next_;
  return true;
}

const WorkTask* WorkQueue::Find(std::string_view id) const {
  std::optional<OpenTasks::iterator> task = by_id_.Find(id, IdOf);
  return task ? &(*task)->second : nullptr;
}

bool WorkQueue::Close(std::string_view id, Instant at, std::string outcome) {
  // Out of the index while the task still holds its id.
  std::optional<OpenTasks::iterator> found = by_id_.Remove(id, IdOf);
  if (!found) return false;
  OpenTasks::iterator task = *found;
  std::string kept = Printable(outcome, kOutcomeBytes);
  closed_.push_back(ClosedTask{std::move(task->second), at, std::move(kept)});
  if (closed_.size() > kClosedKept) closed_.pop_front();
  open_.erase(task);
  ++closed_count_;
  return true;
}

bool WorkQueue::Reassign(std::string_view id, std::string assignee, Instant at) {
  std::optional<OpenTasks::iterator> found = by_id_.Find(id, IdOf);
  if (!found) return false;
  WorkTask& task = (*found)->second;
  if (task.assignee == assignee) return true;
  task.reassigned_from = std::exchange(task.assignee, std::move(assignee));
  task.reassigned_at = at;
  ++reassigned_count_;
  return true;
}

void WorkQueue::Forget(Instant before) {
  while (!open_.empty() && open_.begin()->second.opened < before) {
    by_id_.Remove(open_.begin()->second.id, IdOf);
    open_.erase(open_.begin());
    ++forgotten_count_;
  }
}

namespace {

void WriteTask(SnapshotWriter& out, const WorkTask& t) {
  out.String(t.id);
  out.String(t.assignee);
  out.String(t.customer);
  out.String(t.journey);
  out.I64(t.version);
  out.String(t.step);
  out.String(t.channel);
  out.String(t.content);
  out.I64(t.opened);
  out.OptionalInstant(t.due);
  out.String(t.reassigned_from);
  out.OptionalInstant(t.reassigned_at);
}

WorkTask ReadTask(SnapshotReader& in) {
  WorkTask t;
  t.id = in.String();
  t.assignee = in.String();
  t.customer = in.String();
  t.journey = in.String();
  t.version = in.I64();
  t.step = in.String();
  t.channel = in.String();
  t.content = in.String();
  t.opened = in.I64();
  t.due = in.OptionalInstant();
  t.reassigned_from = in.String();
  t.reassigned_at = in.OptionalInstant();
  return t;
}

}  // namespace

void WorkQueue::Save(SnapshotWriter& out) const {
  out.U64(next_);
  out.U64(open_.size());
  for (const auto& [order, task] : open_) {
    out.U64(order);
    WriteTask(out, task);
  }
  out.U64(closed_.size());
  for (const ClosedTask& c : closed_) {
    WriteTask(out, c.task);
    out.I64(c.closed);
    out.String(c.outcome);
  }
  out.I64(closed_count_);
  out.I64(reassigned_count_);
  out.I64(forgotten_count_);
}

void WorkQueue::Restore(SnapshotReader& in) {
  TUTTI_CHECK(open_.empty() && closed_.empty(), "restored into an empty queue");
  next_ = in.U64();
  for (size_t n = in.Count(12); n > 0 && in.ok(); --n) {
    uint64_t order = in.U64();
    WorkTask task = ReadTask(in);
    if (order >= next_ || (!open_.empty() && order <= open_.rbegin()->first)) in.Fail("the work queue's tasks are out of order");
    if (by_id_.Find(task.id, IdOf)) in.Fail("the work queue holds task " + Printable(task.id, 40) + " twice");
    if (!in.ok()) break;
    auto placed = open_.emplace(order, std::move(task)).first;
    by_id_.Add(placed->second.id, placed);
  }
  for (size_t n = in.Count(14); n > 0 && in.ok(); --n) {
    ClosedTask c{ReadTask(in), 0, ""};
    c.closed = in.I64();
    c.outcome = in.String();
    closed_.push_back(std::move(c));
  }
  if (closed_.size() > kClosedKept) in.Fail("the work queue keeps more closed tasks than this build does");
  closed_count_ = in.I64();
  reassigned_count_ = in.I64();
  forgotten_count_ = in.I64();
}

}  // namespace tutti::runtime
