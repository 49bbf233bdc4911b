#include "runtime/daemon/tasks_part.h"

#include <tuple>

#include "runtime/daemon/forward.h"
#include "runtime/daemon/part_fields.h"
#include "runtime/records/json_input.h"

namespace tutti::runtime {
namespace {

using part_fields::Count;
using part_fields::Row;
using part_fields::Text;
using part_fields::Time;

Json InstantOrNull(const std::optional<Instant>& t) { return t ? Json(*t) : Json(); }

}  // namespace

bool ListedBefore(const TasksPart::Listed& a, const TasksPart::Listed& b, bool closed) {
  if (closed) return a.key != b.key ? a.key > b.key : a.id < b.id;
  return std::tie(a.key, a.then, a.id) < std::tie(b.key, b.then, b.id);
}

std::string EncodeTasksPart(const TasksPart& part) {
  Json queues = Json::array(), roles = Json::array(), tasks = Json::array();
  for (const TasksPart::Queue& q : part.queues)
    queues.push_back({q.assignee, q.name, q.role, q.open, q.overdue, InstantOrNull(q.next_due)});
  for (const TasksPart::Role& r : part.roles) roles.push_back({r.role, r.open, r.overdue});
  for (const TasksPart::Listed& t : part.tasks) tasks.push_back({t.key, t.then, t.json});
  Json out{{"partitions", part.partitions},
           {"now", part.now == INT64_MIN ? Json() : Json(part.now)},
           {"queues", std::move(queues)},
           {"roles", std::move(roles)},
           {"totals", {part.closed, part.reassigned, part.forgotten}},
           {"matching", part.matching},
           {"tasks", std::move(tasks)}};
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<TasksPart> DecodeTasksPart(std::string_view text) {
  // Bounded as a node's answer is (the tasks' own fields nest two deep),
  // then read again keeping the order of each task's fields.
  if (!ParseJsonInput(text, JsonLimits{kMaxForwardedBytes, 6}).ok()) return std::nullopt;
  const Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  for (const char* key : {"partitions", "now", "queues", "roles", "totals", "matching", "tasks"})
    if (!j.contains(key)) return std::nullopt;
  TasksPart part;
  if (!part_fields::Partitions(j["partitions"], &part.partitions)) return std::nullopt;
  if (!j["now"].is_null() && !Time(j["now"], &part.now)) return std::nullopt;
  if (!j["queues"].is_array() || !j["roles"].is_array() || !j["tasks"].is_array()) return std::nullopt;
  for (const Json& q : j["queues"]) {
    TasksPart::Queue queue;
    if (!Row(q, 6) || !Text(q[0], &queue.assignee) || !Text(q[1], &queue.name) || !Text(q[2], &queue.role) ||
        !Count(q[3], &queue.open) || !Count(q[4], &queue.overdue))
      return std::nullopt;
    if (!q[5].is_null()) {
      Instant due = 0;
      if (!Time(q[5], &due)) return std::nullopt;
      queue.next_due = due;
    }
    part.queues.push_back(std::move(queue));
  }
  for (const Json& r : j["roles"]) {
    TasksPart::Role role;
    if (!Row(r, 3) || !Text(r[0], &role.role) || !Count(r[1], &role.open) || !Count(r[2], &role.overdue))
      return std::nullopt;
    part.roles.push_back(std::move(role));
  }
  const Json& totals = j["totals"];
  if (!Row(totals, 3) || !Count(totals[0], &part.closed) || !Count(totals[1], &part.reassigned) ||
      !Count(totals[2], &part.forgotten) || !Count(j["matching"], &part.matching))
    return std::nullopt;
  for (const Json& t : j["tasks"]) {
    TasksPart::Listed listed;
    if (!Row(t, 3) || !Time(t[0], &listed.key) || !Time(t[1], &listed.then) || !t[2].is_object() ||
        !t[2].contains("id") || !Text(t[2]["id"], &listed.id))
      return std::nullopt;
    listed.json = t[2];
    part.tasks.push_back(std::move(listed));
  }
  return part;
}

}  // namespace tutti::runtime
