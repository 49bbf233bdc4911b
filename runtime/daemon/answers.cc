// Service, answering the read side of the API: the action log, the
// journeys, a customer (history_pages.cc pages its history), readiness and
// the metrics, each gathered from every shard.

#include <cassert>
#include <algorithm>
#include <map>

#include "base/text.h"
#include "runtime/daemon/service.h"
#include "runtime/engine/decision.h"
#include "runtime/engine/experiments.h"

namespace tutti::runtime {
namespace {

/// How many of a customer's held actions GET /v1/customers/{id} lists.
constexpr size_t kCustomerActions = 50;

const char* StateName(DeliveryState s) {
  switch (s) {
    case DeliveryState::kPending: return "pending";
    case DeliveryState::kDelivered: return "delivered";
    case DeliveryState::kFailed: return "failed";
    case DeliveryState::kDeadLetter: return "dead_letter";
    case DeliveryState::kHandedOver: return "handed_over";
  }
  return "?";
}

const char* InstanceStateName(InstanceState s) {
  switch (s) {
    case InstanceState::kFree: return "free";
    case InstanceState::kRunning: return "running";
    case InstanceState::kSleeping: return "sleeping";
    case InstanceState::kWaitingEvent: return "waiting_for_event";
  }
  return "?";
}

}  // namespace

std::string Service::ActionLine(const OutboxEntry& e) {
  // The action's NDJSON line with its place and delivery state spliced in
  // before the closing brace (no parse and dump per action).
  std::string line = ToJson(e.action);
  line.pop_back();
  return line + ",\"seq\":" + std::to_string(e.seq) + ",\"delivery\":\"" + StateName(e.state) + "\"}";
}

Service::ActionLines Service::PageOfActions(const Outbox& outbox, uint64_t since, const ActionsQuery& asked) {
  ActionLines page;
  page.next = since;
  // Filtered: the whole outbox is looked through (it holds at most
  // actions_retained final actions), and `next` is the last one looked at.
  // Counted without passing the largest number (a cursor may be any).
  uint64_t from = std::max(since, outbox.first_seq() - 1);
  for (uint64_t seq = from; seq < outbox.last_seq() && page.lines.size() < asked.limit;) {
    const OutboxEntry* e = outbox.Find(++seq);
    if (e == nullptr) break;
    page.next = seq;
    if (!asked.delivery.empty() && StateName(e->state) != asked.delivery) continue;
    if (!asked.customer.empty() && e->action.customer != asked.customer) continue;
    page.lines.push_back(ActionLine(*e));
  }
  // Actions after the cursor that are no longer held: delivered long ago.
  if (since < outbox.first_seq() - 1) page.trimmed = outbox.first_seq() - 1 - since;
  return page;
}

Reply Service::GetActions(uint64_t since, const ActionsQuery& asked) const {
  ActionLines page = PageOfActions(shards_->outbox(), since, asked);
  std::string body = "{\"actions\":[";
  for (size_t i = 0; i < page.lines.size(); ++i) body += (i ? "," : "") + page.lines[i];
  body += "],\"next\":" + std::to_string(page.next);
  if (page.trimmed > 0) body += ",\"trimmed\":" + std::to_string(page.trimmed);
  body += "}\n";
  return {200, std::move(body), "application/json", {}, false};
}

const OutboxEntry* Service::FindHeld(std::string_view key) const {
  const Outbox& outbox = node_ ? cluster_outbox_ : shards_->outbox();
  for (uint64_t seq = outbox.last_seq(); seq >= outbox.first_seq() && seq > 0; --seq)
    if (const OutboxEntry* e = outbox.Find(seq); e && e->action.idempotency_key == key) return e;
  return nullptr;
}

Service::Instances Service::CountInstances(const std::vector<const Engine*>& engines) {
  const Engine& engine = *engines[0];
  Instances n;
  n.active.resize(engine.journey_count());
  n.waiting.resize(engine.journey_count());
  for (uint32_t i = 0; i < engine.journey_count(); ++i) n.waiting[i].resize(engine.journey(i).steps.size());
  for (const Engine* shard : engines) {
    const StateStore& store = shard->store();
    for (size_t c = 0; c < store.customer_count(); ++c)
      for (uint32_t h : store.customer(static_cast<uint32_t>(c)).instances) {
        const JourneyInstance& inst = store.instance(h);
        ++n.active[inst.journey];
        if (inst.pc < n.waiting[inst.journey].size()) ++n.waiting[inst.journey][inst.pc];
      }
  }
  return n;
}

std::pair<int64_t, int64_t> Service::WindowDays(const JourneyWindow& window, Instant now) {
  // The days a window covers (stats.h DayOf): to's day is in when it
  // does not start at to.
  // Days whose midnight is outside the engine's range are left out.
  // Nor are days older than the engine keeps (each shard drops them when
  // it next counts, so they are cut here for all alike).
  int64_t from_day =
      std::max({DayOf(window.from), DayOf(INT64_MIN) + 1, DayOf(now) - kStatsDaysKept + 1});
  int64_t to_day = std::min(DayOf(window.to - 1) + 1, DayOf(INT64_MAX));
  return {from_day, to_day};
}

Json WindowDaysJson(std::pair<int64_t, int64_t> days) {
  return {{"from", FormatInstant(days.first * kNanosPerDay)}, {"to", FormatInstant(days.second * kNanosPerDay)}};
}

namespace {

/// Counts by name as a JSON object ({"email": 3}).
Json CountsJson(const NamedCounts& counts) {
  Json out = Json::object();
  for (const auto& [name, n] : counts) out[name] = n;
  return out;
}

/// A journey's figures, for all time or for a window alike (`st`, the
/// window's in InJourneyShape): its counts, time to goal, steps (with
/// those resting at each now, when `waiting` is given) and experiments.
Json Figures(const JourneyStats& st, const compiler::ir::Journey& j, const std::vector<int64_t>* waiting) {
  // Per step: reached, resting there now (a wait, or a send held by
  // quiet hours), and for a wait for an event how it was left, with the
  // goals reached after each way out.
  Json steps = Json::object();
  for (size_t k = 0; k < j.steps.size(); ++k) {
    Json step{{"reached", st.step_visits[k]}};
    if (waiting) step["waiting_now"] = (*waiting)[k];
    if (j.steps[k].op == compiler::ir::StepOp::kWaitEvent) {
      ArmStats by_event, by_timeout;  // JourneyStats::arms: [0] the event, [1] the timeout
      if (auto ways = st.arms.find(static_cast<uint32_t>(k)); ways != st.arms.end() && ways->second.size() == 2) {
        by_event = ways->second[0];
        by_timeout = ways->second[1];
      }
      step["left_by_event"] = {{"customers", by_event.customers}, {"goals", by_event.goals}};
      step["left_by_timeout"] = {{"customers", by_timeout.customers}, {"goals", by_timeout.goals}};
    }
    steps[j.steps[k].id] = std::move(step);
  }
  // null without a goal whose time is kept (days from before format 9)
  std::string median = st.TimeToGoal(0.5);
  Json time_to_goal = median.empty() ? Json() : Json{{"median", median}, {"p90", st.TimeToGoal(0.9)}};
  return {{"entered", st.entered},
          {"completed", st.completed},
          {"exited", st.exited},
          {"goals", st.goals},
          {"time_to_goal", std::move(time_to_goal)},
          {"failed", st.failed},
          {"errors", st.errors},
          {"actions", CountsJson(st.actions)},
          {"suppressed", CountsJson(st.suppressed)},
          {"deferred", st.deferred},
          {"unassigned", st.unassigned},
          {"steps", std::move(steps)},
          {"experiments", ArmsJson(st, j)}};
}

}  // namespace

Reply JourneysReply(const std::vector<JourneyRow>& rows, std::optional<JourneyWindow> window, Instant now, Json more) {
  std::pair<int64_t, int64_t> days = window ? Service::WindowDays(*window, now) : std::pair<int64_t, int64_t>{0, 0};
  Json out = Json::array();
  for (const JourneyRow& row : rows) {
    const auto& j = *row.journey;
    Json journey{{"name", j.name}, {"version", j.version}, {"version_id", VersionId(j)},
                 {"priority", j.priority}, {"status", row.status}, {"active", row.active}};
    journey.update(Figures(row.stats, j, &row.waiting));
    // In a window: what happened in its days, and the arms taken in them
    // with the goals reached since (DayStats).
    if (window)
      journey["window"] = Figures(InJourneyShape(row.stats.Window(days.first, days.second), j.steps.size()), j, nullptr);
    out.push_back(std::move(journey));
  }
  Json reply{{"journeys", out}};
  reply.update(more);
  if (window) reply["window"] = WindowDaysJson(days);
  return JsonReply(200, reply);
}

Reply Service::GetJourneys(std::optional<JourneyWindow> window) const {
  const Engine& engine = shards_->shard(0);
  auto [active, waiting] = CountInstances();
  std::vector<JourneyStats> stats = shards_->stats();
  std::vector<JourneyRow> rows;
  for (uint32_t i = 0; i < engine.journey_count(); ++i) {
    // A retired version is shown while instances finish on it.
    if (engine.retired(i) && active[i] == 0) continue;
    rows.push_back({&engine.journey(i), engine.retired(i) ? "retired" : engine.paused(i) ? "paused" : "running",
                    active[i], std::move(waiting[i]), std::move(stats[i])});
  }
  return JourneysReply(rows, window, shards_->now(), {{"fingerprint", set().Fingerprint()}, {"shards", shards_->count()}});
}

EngineView Service::Engines() const {
  assert(shards_ != nullptr && "a cluster's reads go to their partition's node (PlanCustomerRead)");
  EngineView view;
  for (uint32_t s = 0; s < shards_->count(); ++s) view.engines.push_back(&shards_->shard(s));
  const Shards* shards = shards_.get();
  view.owner = [shards](std::string_view profile, std::string_view key) -> const Engine& {
    return shards->owner(profile, key);
  };
  view.outbox = &shards_->outbox();
  return view;
}

Reply Service::GetCustomer(const EngineView& view, std::string_view id, std::string_view profile) const {
  const std::vector<std::string>& profiles = view.engines[0]->profile_names();  // by number
  for (uint32_t p = 0; p < profiles.size(); ++p) {
    if (!profile.empty() && profiles[p] != profile) continue;
    // The shard that owns the customer holds their instances and history.
    const Engine& engine = view.owner(profiles[p], id);
    const StateStore& store = engine.store();
    auto c = store.FindCustomer(p, id);
    if (!c) continue;
    const Customer& customer = store.customer(*c);
    Json instances = Json::array();
    for (uint32_t h : customer.instances) {
      const JourneyInstance& inst = store.instance(h);
      const auto& j = engine.journey(inst.journey);
      Json i{{"journey", j.name}, {"version", j.version},
             {"step", inst.pc < j.steps.size() ? j.steps[inst.pc].id : "end"},
             {"state", InstanceStateName(inst.state)}, {"entered", FormatInstant(inst.entered)}};
      if (auto wake = engine.NextWake(h)) i["next_timer"] = FormatInstant(*wake);
      instances.push_back(std::move(i));
    }
    Reply page = GetHistory(view, id, profiles[p], "", 100, false);
    Json history = Json::parse(page.body, nullptr, false);
    Json out{{"profile", profiles[p]}, {"id", customer.key},
             {"record", customer.record.is(compiler::eval::ValueKind::kNull) ? Json() : ToJsonValue(customer.record)},
             {"instances", instances}, {"history", history["history"]}};
    if (history.contains("next")) out["history_next"] = history["next"];
    // The customer's actions the daemon still holds (every pending one and
    // the last `actions_retained`), newest first: each names its template,
    // step and idempotency key, the handle of its explanation (GetWhy).
    // Left out on a cluster, where they are in the actions topic.
    if (view.outbox) {
      Json actions = Json::array();
      const Outbox& outbox = *view.outbox;
      for (uint64_t seq = outbox.last_seq(); seq >= outbox.first_seq() && seq > 0 && actions.size() < kCustomerActions;
           --seq) {
        const OutboxEntry* e = outbox.Find(seq);
        if (!e || e->action.customer != customer.key) continue;
        Json a = Json::parse(ToJson(e->action), nullptr, false);
        a["seq"] = e->seq;
        a["delivery"] = StateName(e->state);
        actions.push_back(std::move(a));
      }
      out["actions"] = std::move(actions);
    }
    // When the contact policy would let a new message through each of
    // their channels (Engine::NextContacts).
    Json next = Json::array();
    for (const Engine::NextContact& n : engine.NextContacts(*c)) {
      Json j{{"channel", n.channel}, {"at", n.at ? Json(FormatInstant(*n.at)) : Json()}};
      if (n.rule) j["rule"] = {{"policy", n.rule->policy}, {"text", n.rule->text}, {"at", n.rule->at}};
      if (!n.reason.empty()) j["reason"] = Printable(n.reason, 500);
      next.push_back(std::move(j));
    }
    out["next_contact"] = std::move(next);
    return JsonReply(200, out);
  }
  return Problem(404, "no customer '" + Printable(id, 100) + "'" +
                          (profile.empty() ? "" : " of profile '" + Printable(profile, 100) + "'"));
}

void Service::CountRequest(std::string_view route, int status, double seconds) {
  requests_->At({std::string(route), std::to_string(status)}).Add();
  request_seconds_->At({std::string(route)}).Observe(seconds);
}

void Service::CountRefusal(std::string_view reason) { refusals_->At({std::string(reason)}).Add(); }

std::optional<std::string> Service::NotReady() const {
  if (node_) return NotReadyOnCluster();
  if (Status folder = log_->CheckFolder(); !folder.ok()) return folder.message();
  if (log_->failing())
    return "the input log's last write failed (is the disk full?): inputs are refused until a write succeeds";
  return std::nullopt;
}

Reply Service::GetMetrics() const { return {200, metrics_.Render(), "text/plain; version=0.0.4", {}, false}; }

}  // namespace tutti::runtime
