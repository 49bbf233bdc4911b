// Service::GetTasks: the work queues, read from every shard's work queue
// (runtime/engine/work_queue.h), never from logs; on a cluster, from every
// partition's, each node giving its share (tasks_part.h, cluster_reads.cc).
// docs/console.md, "Work queues", says what each figure means:
//
//   assignee  the colleague who holds a task; a case has none: it waits in
//             its channel's queue for whoever takes it
//   role      the assignee's `role` field (of the profile the stdlib's
//             task_completed event is keyed by: staff); for a case, or an
//             assignee without one, the role of the task's channel in the
//             `engagement` setting, else "other"
//   overdue   due before the engine's time now
//
// Tasks are listed the most urgent first (by due date, none last, then the
// oldest), closed ones the newest first; ties go by the task's id, so that
// the order is the same however the customers are shared out.

#include <algorithm>
#include <map>
#include <tuple>

#include "base/text.h"
#include "runtime/daemon/service.h"
#include "runtime/daemon/tasks_part.h"

namespace tutti::runtime {
namespace {

using compiler::eval::Value;
using compiler::eval::ValueKind;

/// A string field of a profile record, or "".
std::string ProfileText(const Value& record, std::string_view field) {
  if (!record.is(ValueKind::kRecord)) return "";
  const Value* v = record.AsRecord().Find(field);
  return v && v->is(ValueKind::kString) ? v->AsString() : "";
}

/// The engine's time, or null before any input set it.
Json NowJson(Instant now) { return now == INT64_MIN ? Json() : Json(FormatInstant(now)); }

}  // namespace

/// Who a task's assignee and customer are, as an engine's profiles say
/// (every shard, and every partition of a cluster, holds every profile).
struct Service::TaskPeople {
  const Service& service;
  const Engine& engine;
  std::optional<uint32_t> colleagues;  // the staff profile's number
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> seen;  // key -> name, role

  TaskPeople(const Service& s, const Engine& e) : service(s), engine(e) {
    const Schema* done = engine.schemas().FindEvent("task_completed");
    colleagues = engine.ProfileId(done ? done->key_profile : "staff");
  }
  /// The colleague's name and role ("" when unknown).
  const std::pair<std::string, std::string>& Colleague(const std::string& key) {
    auto it = seen.find(key);
    if (it != seen.end()) return it->second;
    std::pair<std::string, std::string> found;
    if (colleagues)
      if (auto c = engine.store().FindCustomer(*colleagues, key)) {
        const Value& record = engine.store().customer(*c).record;
        found = {ProfileText(record, "name"), ProfileText(record, "role")};
      }
    return seen.emplace(key, std::move(found)).first->second;
  }
  /// The role a task is counted under.
  std::string Role(const WorkTask& t) {
    if (!t.assignee.empty())
      if (std::string role = Colleague(t.assignee).second; !role.empty()) return role;
    auto channel = service.options_.engagement.channels.find(t.channel);
    return channel != service.options_.engagement.channels.end() ? channel->second : "other";
  }
  /// The customer's name, from the first profile that holds the key.
  std::string CustomerName(const std::string& key) const {
    for (uint32_t p = 0; p < engine.profile_names().size(); ++p)
      if (auto c = engine.store().FindCustomer(p, key)) return ProfileText(engine.store().customer(*c).record, "name");
    return "";
  }
};

Json Service::TaskJson(const WorkTask& t, TaskPeople& people, Instant now) const {
  Json j{{"id", t.id},
         {"kind", t.assignee.empty() ? "case" : "task"},
         {"assignee", t.assignee},
         {"assignee_name", t.assignee.empty() ? "" : Printable(people.Colleague(t.assignee).first)},
         {"role", people.Role(t)},
         {"customer", t.customer},
         {"customer_name", Printable(people.CustomerName(t.customer))},
         {"journey", t.journey},
         {"version", t.version},
         {"step", t.step},
         {"channel", t.channel},
         {"text", Printable(t.content, 2000)},
         {"opened", FormatInstant(t.opened)},
         {"due", t.due ? Json(FormatInstant(*t.due)) : Json()},
         {"overdue", t.due && *t.due < now}};
  if (t.reassigned_at) {
    j["reassigned_from"] = t.reassigned_from;
    j["reassigned_at"] = FormatInstant(*t.reassigned_at);
  }
  return j;
}

Json Service::ClosedTaskJson(const ClosedTask& c, TaskPeople& people) const {
  Json j = TaskJson(c.task, people, c.closed);  // overdue: due before it was closed
  j["closed"] = FormatInstant(c.closed);
  j["outcome"] = Printable(c.outcome, 100);
  return j;
}

TasksPart Service::TasksPartOf(const TaskFilter& filter, const std::vector<TaskSource>& sources, bool render) const {
  TasksPart part;
  auto about = [&](const WorkTask& t) {
    return (filter.customer.empty() || t.customer == filter.customer) &&
           (filter.journey.empty() || t.journey == filter.journey);
  };
  auto listed = [&](const WorkTask& t, const std::string& role) {
    return about(t) && (filter.assignee.empty() || t.assignee == filter.assignee) &&
           (filter.role.empty() || role == filter.role);
  };
  // (assignee, role) -> its queue: the cases ("" assignee) have one per
  // role of their channels, as may a colleague without a role of their own.
  std::map<std::pair<std::string, std::string>, TasksPart::Queue> queues;
  std::map<std::string, TasksPart::Role> roles;
  // The tasks listed, with the source that holds each: only those a page
  // up to offset + limit shows become TasksPart::Listed.
  struct Candidate {
    Instant key = 0, then = 0;
    const std::string* id = nullptr;
    const WorkTask* open = nullptr;
    const ClosedTask* closed = nullptr;
    size_t source = 0;
  };
  std::vector<Candidate> tasks;
  std::vector<TaskPeople> people;
  for (const TaskSource& source : sources) {
    TaskPeople& who = people.emplace_back(*this, *source.engine);
    part.partitions.push_back(source.where);
    part.now = std::max(part.now, source.now);
    const WorkQueue& work = source.engine->work();
    part.closed += work.closed_count();
    part.reassigned += work.reassigned_count();
    part.forgotten += work.forgotten_count();
    if (filter.closed) {
      for (const ClosedTask& c : work.closed())
        if (listed(c.task, who.Role(c.task))) tasks.push_back({c.closed, 0, &c.task.id, nullptr, &c, people.size() - 1});
      continue;
    }
    for (const auto& [order, t] : work.open()) {
      if (!about(t)) continue;
      std::string role = who.Role(t);
      bool overdue = t.due && *t.due < source.now;
      TasksPart::Queue& q = queues[{t.assignee, role}];
      if (q.open == 0) q = {t.assignee, t.assignee.empty() ? "" : Printable(who.Colleague(t.assignee).first), role, 0, 0, {}};
      ++q.open;
      q.overdue += overdue;
      if (t.due && (!q.next_due || *t.due < *q.next_due)) q.next_due = t.due;
      TasksPart::Role& r = roles[role];
      r.role = role;
      ++r.open;
      r.overdue += overdue;
      if (listed(t, role) && (!filter.overdue_only || overdue))
        tasks.push_back({t.due.value_or(INT64_MAX), t.opened, &t.id, &t, nullptr, people.size() - 1});
    }
  }
  part.matching = static_cast<int64_t>(tasks.size());
  size_t shown = std::min(tasks.size(), filter.offset + filter.limit);
  std::partial_sort(tasks.begin(), tasks.begin() + static_cast<ptrdiff_t>(shown), tasks.end(),
                    [closed = filter.closed](const Candidate& a, const Candidate& b) {
                      if (closed) return a.key != b.key ? a.key > b.key : *a.id < *b.id;
                      return std::tie(a.key, a.then, *a.id) < std::tie(b.key, b.then, *b.id);
                    });
  for (size_t i = 0; i < shown; ++i) {
    const Candidate& c = tasks[i];
    TasksPart::Listed& t = part.tasks.emplace_back();
    t.key = c.key;
    t.then = c.then;
    t.id = *c.id;
    if (render)
      t.json = c.open ? TaskJson(*c.open, people[c.source], sources[c.source].now) : ClosedTaskJson(*c.closed, people[c.source]);
    else
      t.open = c.open, t.closed_task = c.closed;
  }
  for (auto& [key, q] : queues) part.queues.push_back(std::move(q));
  for (auto& [name, r] : roles) part.roles.push_back(std::move(r));
  return part;
}

Reply Service::TasksReply(const TaskFilter& filter, const TasksPart& all) const {
  std::optional<TaskPeople> people;
  Json tasks = Json::array();
  for (size_t i = filter.offset; i < all.tasks.size() && tasks.size() < filter.limit; ++i) {
    const TasksPart::Listed& t = all.tasks[i];
    if (!t.open && !t.closed_task) {
      tasks.push_back(t.json);
      continue;
    }
    if (!people) people.emplace(*this, shards_->shard(0));
    tasks.push_back(t.open ? TaskJson(*t.open, *people, all.now) : ClosedTaskJson(*t.closed_task, *people));
  }
  size_t matching = static_cast<size_t>(all.matching);
  Json out;
  if (filter.closed) {
    out = {{"now", NowJson(all.now)}, {"closed", matching}, {"tasks", tasks}};
  } else {
    Json by_assignee = Json::array();
    for (const TasksPart::Queue& q : all.queues)
      by_assignee.push_back({{"assignee", q.assignee},
                             {"name", q.name},
                             {"role", q.role},
                             {"open", q.open},
                             {"overdue", q.overdue},
                             {"next_due", q.next_due ? Json(FormatInstant(*q.next_due)) : Json()}});
    Json by_role = Json::array();
    for (const TasksPart::Role& r : all.roles)
      by_role.push_back({{"role", r.role}, {"open", r.open}, {"overdue", r.overdue}});
    out = {{"now", NowJson(all.now)},
           {"matching", matching},
           {"tasks", tasks},
           {"queues", by_assignee},
           {"roles", by_role},
           {"totals", {{"closed", all.closed}, {"reassigned", all.reassigned}, {"forgotten", all.forgotten}}}};
  }
  if (filter.offset + tasks.size() < matching) out["next"] = filter.offset + tasks.size();
  return JsonReply(200, out);
}

Reply Service::GetTasks(const TaskFilter& filter) const {
  std::vector<TaskSource> sources;
  for (uint32_t s = 0; s < shards_->count(); ++s)
    sources.push_back({static_cast<int32_t>(s), &shards_->shard(s), shards_->now()});
  return TasksReply(filter, TasksPartOf(filter, sources, false));
}

}  // namespace tutti::runtime
