#pragma once
// A share of GET /v1/tasks (work_queues.cc): the work queues' figures over
// some shards or partitions, and the first tasks the request lists, in its
// order. One daemon makes one share of all its shards; on a cluster each
// node makes one of the partitions it runs and sends it to the node asked
// (GET /v1/cluster/tasks, as JSON), which adds the shares up as one daemon
// adds up its shards'. Read back from another node's answer, so checked
// for shape and bounded by its bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/daemon/reply.h"
#include "runtime/engine/instant.h"

namespace tutti::runtime {

struct WorkTask;
struct ClosedTask;

struct TasksPart {
  std::vector<int32_t> partitions;  // on a cluster: the node's; one daemon: its shards
  Instant now = INT64_MIN;          // the latest of their clocks
  /// Open tasks, per assignee and role (a case: no assignee), the customer
  /// and journey filters applied.
  struct Queue {
    std::string assignee, name, role;
    int64_t open = 0, overdue = 0;
    std::optional<Instant> next_due;
  };
  std::vector<Queue> queues;
  struct Role {
    std::string role;
    int64_t open = 0, overdue = 0;
  };
  std::vector<Role> roles;
  int64_t closed = 0, reassigned = 0, forgotten = 0;  // ever, unfiltered
  /// How many tasks the request's filters let through.
  int64_t matching = 0;
  /// The first of them in the answer's order (the most urgent open ones,
  /// or the newest closed), as many as the request's page ends at.
  /// `key`, `then`: due (none: INT64_MAX) and opened for an open task; the
  /// time closed for a closed one; the task's `id` breaks ties. Rendered
  /// (`json`) when the share is sent on; on one daemon only the page is
  /// rendered, from `open` or `closed_task`.
  struct Listed {
    Instant key = 0, then = 0;
    std::string id;
    const WorkTask* open = nullptr;
    const ClosedTask* closed_task = nullptr;
    Json json;
  };
  std::vector<Listed> tasks;
};

/// Whether `a` is listed before `b`: the open tasks by due date (none
/// last), then the oldest; the closed ones (`closed`) the newest first;
/// ties by id, so that the order is the same however the customers are
/// shared out.
bool ListedBefore(const TasksPart::Listed& a, const TasksPart::Listed& b, bool closed);

/// A rendered share as the node sends it (every listed task's `json` set).
std::string EncodeTasksPart(const TasksPart& part);
/// Nullopt when `text` is not a share (partitions numbered up to 99,999;
/// counts from 0 to 2^53).
std::optional<TasksPart> DecodeTasksPart(std::string_view text);

}  // namespace tutti::runtime
