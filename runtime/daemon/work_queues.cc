// Service::GetTasks: the work queues, read from every shard's work queue
// (runtime/engine/work_queue.h), never from logs. docs/console.md, "Work
// queues", says what each figure means:
//
//   assignee  the colleague who holds a task; a case has none: it waits in
//             its channel's queue for whoever takes it
//   role      the assignee's `role` field (of the profile the stdlib's
//             task_completed event is keyed by: staff); for a case, or an
//             assignee without one, the role of the task's channel in the
//             `engagement` setting, else "other"
//   overdue   due before the engine's time now

#include <algorithm>
#include <map>
#include <tuple>

#include "base/text.h"
#include "runtime/daemon/service.h"

namespace tutti::runtime {
namespace {

using compiler::eval::Value;
using compiler::eval::ValueKind;

/// A string field of a profile record, or "".
std::string TextField(const Value& record, std::string_view field) {
  if (!record.is(ValueKind::kRecord)) return "";
  const Value* v = record.AsRecord().Find(field);
  return v && v->is(ValueKind::kString) ? v->AsString() : "";
}

/// The engine's time, or null before any input set it.
Json NowJson(Instant now) { return now == INT64_MIN ? Json() : Json(FormatInstant(now)); }

}  // namespace

/// Who a task's assignee and customer are, as the profiles say.
struct Service::TaskPeople {
  const Service& service;
  std::optional<uint32_t> colleagues;  // the staff profile's number
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> seen;  // key -> name, role

  explicit TaskPeople(const Service& s) : service(s) {
    const Schema* done = s.set().schemas().FindEvent("task_completed");
    colleagues = s.shards_->shard(0).ProfileId(done ? done->key_profile : "staff");
  }
  /// The colleague's name and role ("" when unknown).
  const std::pair<std::string, std::string>& Colleague(const std::string& key) {
    auto it = seen.find(key);
    if (it != seen.end()) return it->second;
    std::pair<std::string, std::string> found;
    const StateStore& store = service.shards_->shard(0).store();  // every shard holds every profile
    if (colleagues)
      if (auto c = store.FindCustomer(*colleagues, key)) {
        const Value& record = store.customer(*c).record;
        found = {TextField(record, "name"), TextField(record, "role")};
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
    const Engine& engine = service.shards_->shard(0);
    for (uint32_t p = 0; p < engine.profile_names().size(); ++p)
      if (auto c = engine.store().FindCustomer(p, key)) return TextField(engine.store().customer(*c).record, "name");
    return "";
  }
};

Json Service::TaskJson(const WorkTask& t, TaskPeople& people) const {
  Instant now = shards_->now();
  Json j{{"id", t.id},
         {"kind", t.assignee.empty() ? "case" : "task"},
         {"assignee", t.assignee},
         {"assignee_name", t.assignee.empty() ? "" : people.Colleague(t.assignee).first},
         {"role", people.Role(t)},
         {"customer", t.customer},
         {"customer_name", people.CustomerName(t.customer)},
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

Reply Service::GetTasks(const TaskFilter& filter) const {
  TaskPeople people(*this);
  Instant now = shards_->now();
  auto about = [&](const WorkTask& t) {
    return (filter.customer.empty() || t.customer == filter.customer) &&
           (filter.journey.empty() || t.journey == filter.journey);
  };
  auto listed = [&](const WorkTask& t, const std::string& role) {
    return about(t) && (filter.assignee.empty() || t.assignee == filter.assignee) &&
           (filter.role.empty() || role == filter.role);
  };

  if (filter.closed) {
    // The newest closed tasks, newest first.
    std::vector<std::tuple<Instant, uint32_t, const ClosedTask*>> closed;
    for (uint32_t s = 0; s < shards_->count(); ++s)
      for (const ClosedTask& c : shards_->shard(s).work().closed())
        if (listed(c.task, people.Role(c.task))) closed.emplace_back(c.closed, s, &c);
    std::stable_sort(closed.begin(), closed.end(),
                     [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
    Json tasks = Json::array();
    for (size_t i = filter.offset; i < closed.size() && tasks.size() < filter.limit; ++i) {
      const ClosedTask& c = *std::get<2>(closed[i]);
      Json j = TaskJson(c.task, people);
      j["overdue"] = c.task.due && *c.task.due < c.closed;
      j["closed"] = FormatInstant(c.closed);
      j["outcome"] = Printable(c.outcome, 100);
      tasks.push_back(std::move(j));
    }
    Json out{{"now", NowJson(now)}, {"closed", closed.size()}, {"tasks", tasks}};
    if (filter.offset + tasks.size() < closed.size()) out["next"] = filter.offset + tasks.size();
    return JsonReply(200, out);
  }

  // Every open task the customer and journey filters let through: counted
  // per assignee and per role, listed when the assignee and role match.
  struct Queue {
    int64_t open = 0, overdue = 0;
    std::optional<Instant> next_due;
  };
  // (assignee, role) -> its queue: the cases ("" assignee) have one per
  // role of their channels, as may a colleague without a role of their own.
  std::map<std::pair<std::string, std::string>, Queue> queues;
  std::map<std::string, std::pair<int64_t, int64_t>> roles;  // role -> open, overdue
  std::vector<std::tuple<Instant, Instant, const WorkTask*>> matching;  // due (none: last), opened
  int64_t closed = 0, reassigned = 0, forgotten = 0;
  for (uint32_t s = 0; s < shards_->count(); ++s) {
    const WorkQueue& work = shards_->shard(s).work();
    closed += work.closed_count();
    reassigned += work.reassigned_count();
    forgotten += work.forgotten_count();
    for (const auto& [order, t] : work.open()) {
      if (!about(t)) continue;
      std::string role = people.Role(t);
      bool overdue = t.due && *t.due < now;
      Queue& q = queues[{t.assignee, role}];
      ++q.open;
      q.overdue += overdue;
      if (t.due && (!q.next_due || *t.due < *q.next_due)) q.next_due = t.due;
      auto& r = roles[role];
      ++r.first;
      r.second += overdue;
      if (listed(t, role) && (!filter.overdue_only || overdue))
        matching.emplace_back(t.due.value_or(INT64_MAX), t.opened, &t);
    }
  }
  // The most urgent first: by due date (none last), then the oldest.
  std::stable_sort(matching.begin(), matching.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
  });
  Json tasks = Json::array();
  for (size_t i = filter.offset; i < matching.size() && tasks.size() < filter.limit; ++i)
    tasks.push_back(TaskJson(*std::get<2>(matching[i]), people));
  Json by_assignee = Json::array();
  for (const auto& [who, q] : queues)
    by_assignee.push_back({{"assignee", who.first},
                           {"name", who.first.empty() ? "" : people.Colleague(who.first).first},
                           {"role", who.second},
                           {"open", q.open},
                           {"overdue", q.overdue},
                           {"next_due", q.next_due ? Json(FormatInstant(*q.next_due)) : Json()}});
  Json by_role = Json::array();
  for (const auto& [role, counts] : roles)
    by_role.push_back({{"role", role}, {"open", counts.first}, {"overdue", counts.second}});
  Json out{{"now", NowJson(now)},
           {"matching", matching.size()},
           {"tasks", tasks},
           {"queues", by_assignee},
           {"roles", by_role},
           {"totals", {{"closed", closed}, {"reassigned", reassigned}, {"forgotten", forgotten}}}};
  if (filter.offset + tasks.size() < matching.size()) out["next"] = filter.offset + tasks.size();
  return JsonReply(200, out);
}

}  // namespace tutti::runtime
