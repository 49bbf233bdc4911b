#include "runtime/engine/engine.h"

#include <algorithm>

#include "base/check.h"
#include "runtime/engine/partition.h"

namespace tutti::runtime {

using compiler::eval::Activation;
using compiler::eval::Value;
using compiler::eval::ValueKind;
namespace ir = compiler::ir;

std::string KeyText(const Value& key) {
  if (key.is(ValueKind::kString)) return key.AsString();
  if (key.is(ValueKind::kInt)) return std::to_string(key.AsInt());
  if (key.is(ValueKind::kUint)) return std::to_string(key.AsUint());
  return compiler::eval::DebugString(key);
}

namespace {

const Value* Field(const Value& record, std::string_view name) {
  return record.is(ValueKind::kRecord) ? record.AsRecord().Find(name) : nullptr;
}

}  // namespace

Engine::Engine(const ir::Program& program, const SchemaTable& schemas,
               const compiler::eval::Functions& functions, EngineOptions options)
    : program_(&program),
      schemas_(&schemas),
      functions_(&functions),
      options_(options),
      profile_names_(schemas.ProfileNames()) {
  policy_ = std::make_unique<ContactPolicy>(program, journeys_, names_);
  store_ = std::make_unique<InMemoryStore>(profile_names_.size());
  schema_versions_.push_back(&schemas);
  for (uint32_t i = 0; i < program.journeys.size(); ++i) {
    journeys_.push_back(&program.journeys[i]);
    retired_.push_back(false);
    current_journeys_.push_back(i);
  }
  IndexJourneys();
}

void Engine::IndexJourneys() {
  size_t n = journeys_.size();
  stats_.resize(n);
  paused_.resize(n);
  version_ids_.resize(n);
  for (uint32_t e = 0; e < n; ++e) version_ids_[e] = VersionId(*journeys_[e]);
  audience_index_.assign(n, std::nullopt);
  audience_journeys_.assign(profile_names_.size(), {});
  for (uint32_t i = 0; i < n; ++i)
    if (journeys_[i]->audience) audience_journeys_[ProfileIndex(journeys_[i]->audience->profile)].push_back(i);
  triggers_.clear();
  routes_.clear();
  // Triggers in the current program's order, as the native dispatch tests
  // them: the order journeys start in decides entry numbers and keys.
  for (uint32_t i : current_journeys_)
    if (journeys_[i]->trigger) triggers_[journeys_[i]->trigger->event].push_back(i);
  for (uint32_t i = 0; i < n; ++i) {
    const ir::Journey& j = *journeys_[i];
    stats_[i].step_visits.resize(j.steps.size());
    uint32_t customer = ProfileIndex(j.customer);
    auto add_route = [&](const ir::Pattern& p) {
      auto& routes = routes_[p.event];
      std::pair<uint32_t, std::string> route{customer, p.customer_field};
      if (std::find(routes.begin(), routes.end(), route) == routes.end()) routes.push_back(route);
    };
    for (const ir::Exit& e : j.exits) add_route(e.pattern);
    for (const ir::Step& s : j.steps)
      if (s.pattern) add_route(*s.pattern);
  }
}

Engine::~Engine() = default;

Status Engine::ReloadRefusal(const SchemaTable& schemas, const ir::Program& program) const {
  return Admit(schemas, program).status();
}

Result<std::vector<Engine::Move>> Engine::Admit(const SchemaTable& schemas, const ir::Program& program,
                                                std::vector<std::string>* warnings) const {
  size_t journeys = program.journeys.size();
  if (auto refusal = schemas_->GrowthRefusal(schemas))
    return Status::Conflict("the records cannot grow into the new version's: " + *refusal +
                            ". Records may gain optional fields, and the journeys new events and profiles; "
                            "what stored profiles and waiting instances hold cannot be taken away or retyped");
  if (journeys_.size() + journeys > UINT16_MAX)
    return Status::Conflict("too many versions of the journeys for one run (history names a journey in 16 "
                            "bits): start with a new --data folder");
  return PlanMigrations(program, warnings);
}

Result<Engine::ReloadReport> Engine::Reload(const ir::Program& program, const SchemaTable& schemas,
                                            const compiler::eval::Functions& functions,
                                            const NativeCode* native) {
  ReloadReport report;
  TUTTI_ASSIGN_OR_RETURN(std::vector<Move> moves, Admit(schemas, program, &report.warnings));
  Flush();
  // The current journeys by name; what the new version does with each.
  std::map<std::string_view, uint32_t> live;
  for (uint32_t e : current_journeys_) live.emplace(journeys_[e]->name, e);
  std::vector<uint32_t> next(program.journeys.size());
  std::vector<bool> carried(journeys_.size());
  for (uint32_t i = 0; i < program.journeys.size(); ++i) {
    const ir::Journey& j = program.journeys[i];
    auto old = live.find(j.name);
    if (old != live.end() && journeys_[old->second]->DeclarationText() == j.DeclarationText()) {
      next[i] = old->second;
      carried[old->second] = true;
      journeys_[old->second] = &j;
      report.unchanged.push_back(j.name);
      continue;
    }
    next[i] = static_cast<uint32_t>(journeys_.size());
    journeys_.push_back(&j);
    retired_.push_back(false);
    paused_.push_back(false);
    if (old != live.end()) {
      paused_.back() = paused_[old->second];  // a paused journey stays paused in its new version
      report.changed.push_back(j.name);
    } else {
      report.added.push_back(j.name);
    }
  }
  report.migrated = Migrate(moves, next);
  report.number_not_raised = ir::VersionNotRaised(*program_, program);
  for (const auto& [name, e] : live) {
    if (carried[e]) continue;
    retired_[e] = true;
    if (program.Index(name) < 0) report.removed.emplace_back(name);
  }
  // Re-entry rules name the journey, not its version: every earlier
  // version (retired long ago, too) maps to the journey's current one.
  std::map<std::string_view, uint32_t> current;
  for (uint32_t i = 0; i < program.journeys.size(); ++i) current.emplace(program.journeys[i].name, next[i]);
  std::map<uint32_t, uint32_t> successor;
  for (uint32_t e = 0; e < journeys_.size(); ++e)
    if (auto it = current.find(journeys_[e]->name); it != current.end() && it->second != e) successor[e] = it->second;
  // Stored records take the new layouts, so that native code reading them
  // by shape keeps its fast path and reads the fields they gained.
  GrowRecords(schemas);
  for (uint32_t p = 0; p < profile_names_.size(); ++p) {
    for (const auto& [key, id] : store_->CustomersOf(p)) {
      Customer& c = store_->customer(id);
      for (auto& [journey, at] : c.last_entry)
        if (auto s = successor.find(journey); s != successor.end()) journey = s->second;
      for (uint32_t h : c.instances) {
        if (retired_[store_->instance(h).journey]) ++report.left_on_old;
        else ++report.carried_over;
      }
    }
  }
  report.carried_over -= report.migrated;  // counted above as on the current version
  if (options_.native != nullptr) older_native_.push_back(options_.native);
  options_.native = options_.interpret ? nullptr : native;
  code_ = nullptr;
  program_ = &program;
  schemas_ = &schemas;
  schema_versions_.push_back(&schemas);
  functions_ = &functions;
  current_journeys_ = std::move(next);
  policy_ = std::make_unique<ContactPolicy>(program, journeys_, names_);
  IndexJourneys();
  return report;
}

uint32_t Engine::ProfileIndex(std::string_view profile) const {
  auto id = ProfileId(profile);
  TUTTI_CHECK(id, "profile of a checked program");
  return *id;
}

std::optional<uint32_t> Engine::ProfileId(std::string_view profile) const {
  // A program declares a handful of profiles: comparing lengths first, a
  // scan finds one sooner than a tree of names would.
  for (uint32_t p = 0; p < profile_names_.size(); ++p)
    if (profile_names_[p].size() == profile.size() && profile_names_[p] == profile) return p;
  return std::nullopt;
}

bool Engine::Owns(uint32_t profile, std::string_view key) const {
  if (options_.shards <= 1) return true;
  if (options_.kafka_partitions) return KafkaPartitionOf(key, options_.shards) == options_.shard;
  return ShardOf(profile_names_[profile], key, options_.shards) == options_.shard;
}

std::optional<uint32_t> Engine::CustomerOf(const Value& record) const {
  if (!record.is(ValueKind::kRecord)) return std::nullopt;
  const std::string& type = record.AsRecord().type_name();
  auto key_field = program_->profile_keys.find(type);
  if (key_field == program_->profile_keys.end()) return std::nullopt;
  const Value* key = Field(record, key_field->second);
  if (key == nullptr) return std::nullopt;
  return store_->FindCustomer(ProfileIndex(type), KeyText(*key));
}

void Engine::UpsertProfile(const Record& profile) {
  uint32_t p = ProfileIndex(profile.type());
  uint32_t id = store_->GetOrAddCustomer(p, KeyText(profile.key));
  Customer& c = store_->customer(id);
  c.record = RecordValue(profile);
  // A prescriber's actions and events also go to their account's history.
  const Value* account = Field(c.record, "account");
  if (profile.type() != "account" && account && account->is(ValueKind::kString) &&
      ProfileId("account")) {
    c.account = store_->GetOrAddCustomer(ProfileIndex("account"), account->AsString());
  }
  for (uint32_t j : audience_journeys_[p]) audience_index_[j].reset();
}

bool Engine::SetPaused(std::string_view journey, bool paused) {
  int i = program_->Index(journey);
  if (i < 0) return false;
  paused_[current_journeys_[static_cast<size_t>(i)]] = paused;
  return true;
}

void Engine::SetNow(Instant t) {
  if (t <= now_) return;
  Flush();
  now_ = t;
  // Tasks open for longer than the history is kept are forgotten as time
  // passes, on every shard alike (nothing is that old near the start of
  // engine time, where now_ - retention would overflow).
  if (static_cast<uint64_t>(now_) - static_cast<uint64_t>(INT64_MIN) > static_cast<uint64_t>(options_.history_retention))
    work_.Forget(now_ - options_.history_retention);
}

bool Engine::Ingest(const Record& event) {
  TUTTI_CHECK(event.kind() == RecordKind::kEvent && event.at, "Ingest takes decoded events");
  auto at = ToInstant(*event.at);
  if (!at) return false;
  Instant t = std::max(*at, now_);
  AdvanceTo(t);
  Event e;
  e.schema = event.schema;
  e.record = RecordValue(event);
  e.key = KeyText(event.key);
  e.at = t;
  e.input = event.input;
  Process(e);
  return true;
}

void Engine::Process(const Event& event) {
  ProcessOne(event);
  DrainCascade();
}

void Engine::DrainCascade() {
  while (!cascade_.empty()) {
    Event next = std::move(cascade_.front());
    cascade_.pop_front();
    ProcessOne(next);
  }
}

namespace {

/// Appends `entry` and drops what is older than the retention, a month's
/// worth at a time so that the cost is spread thin. History is in time
/// order: entries are added at the engine's time, which never goes back.
void Append(std::vector<Interaction>& history, const Interaction& entry, Instant retention) {
  history.push_back(entry);
  // Nothing is that old near the start of engine time (and entry.at -
  // retention would overflow there).
  uint64_t since_start = static_cast<uint64_t>(entry.at) - static_cast<uint64_t>(INT64_MIN);
  if (since_start < static_cast<uint64_t>(retention + 30 * kNanosPerDay)) return;
  Instant cutoff = entry.at - retention;
  if (history.front().at >= cutoff - 30 * kNanosPerDay) return;
  auto keep = std::lower_bound(history.begin(), history.end(), cutoff,
                               [](const Interaction& i, Instant t) { return i.at < t; });
  history.erase(history.begin(), keep);
}

}  // namespace

void Engine::AddToHistory(uint32_t customer, Interaction entry) {
  Customer& c = store_->customer(customer);
  entry.about = customer;
  Append(c.history, entry, options_.history_retention);
  if (c.account != UINT32_MAX) Append(store_->customer(c.account).history, entry, options_.history_retention);
}

namespace {

/// How many entries of `history` before its last are at its last's time.
uint32_t PlaceAtItsInstant(const std::vector<Interaction>& history) {
  uint32_t before = 0;
  for (size_t i = history.size() - 1; i > 0 && history[i - 1].at == history.back().at; --i) ++before;
  return before;
}

}  // namespace

void Engine::NoteEvent(const Event& event, uint32_t customer) {
  const Customer& c = store_->customer(customer);
  EventNote note{event.at, event.schema->name, event.record, profile_names_[c.profile], c.key,
                 PlaceAtItsInstant(c.history), "", 0, options_.shard, event.input};
  if (c.account != UINT32_MAX) {
    const Customer& account = store_->customer(c.account);
    note.account = account.key;
    note.account_ordinal = PlaceAtItsInstant(account.history);
  }
  event_notes_.push_back(std::move(note));
}

std::vector<EventNote> Engine::TakeEventNotes() {
  std::vector<EventNote> out = std::move(event_notes_);
  event_notes_.clear();
  return out;
}

void Engine::ProcessOne(const Event& event) {
  current_ = &event;
  const std::string& type = event.schema->name;
  ReportWork(event);
  uint32_t key_profile = ProfileIndex(event.schema->key_profile);
  // Another shard records the event for its customer (and reports errors
  // in trigger conditions, which read only the event, or the customer's
  // profile on the customer's own shard).
  bool own_key = Owns(key_profile, event.key);
  std::optional<uint32_t> keyed;
  current_keyed_.reset();
  if (own_key) {
    keyed = store_->GetOrAddCustomer(key_profile, event.key);
    current_keyed_.emplace(key_profile, *keyed);
    AddToHistory(*keyed, Interaction{event.at, names_.Intern(type), 0, 0, 0, false});
    if (options_.note_events) NoteEvent(event, *keyed);
  }

  // Exits, goals and waits, for every customer the event concerns.
  auto routes = routes_.find(type);
  if (routes != routes_.end()) {
    for (const auto& [profile, field] : routes->second) {
      std::optional<uint32_t> customer;
      if (field.empty()) {
        if (profile == key_profile) customer = keyed;
      } else if (const Value* v = Field(event.record, field); v && !v->is(ValueKind::kNull)) {
        std::string key = KeyText(*v);
        if (Owns(profile, key)) customer = store_->FindCustomer(profile, key);
      }
      if (!customer) continue;
      // The instances as they were when the event arrived: one started
      // meanwhile (perhaps in a handle just freed) does not see the event.
      std::vector<std::pair<uint32_t, uint32_t>> handles;
      for (uint32_t h : store_->customer(*customer).instances) handles.emplace_back(h, store_->instance(h).generation);
      for (auto [h, generation] : handles) {
        JourneyInstance& inst = store_->instance(h);
        if (inst.state == InstanceState::kFree || inst.generation != generation) continue;
        const ir::Journey& j = *journeys_[inst.journey];
        std::optional<Outcome> ended;
        for (const ir::Exit& x : j.exits) {
          if (x.pattern.event != type || x.pattern.customer_field != field) continue;
          Activation act;
          BindInstance(act, inst, nullptr);
          act.Bind(x.pattern.binding, event.record);
          Value hit = x.pattern.cond ? Eval(*x.pattern.cond, act) : Value(true);
          if (hit.IsError()) {
            std::string rule = x.goal ? "goal" : "exit";
            RuleError(inst.journey, store_->customer(inst.customer).key, rule,
                      "in the " + rule + " rule on '" + type + "': " + hit.ErrorMessage());
          } else if (hit.is(ValueKind::kBool) && hit.AsBool()) {
            ended = x.goal ? Outcome::kGoal : Outcome::kExited;
            break;
          }
        }
        if (ended) {
          Finish(h, *ended);
          continue;
        }
        if (inst.state != InstanceState::kWaitingEvent) continue;
        const ir::Step& s = j.steps[inst.pc];
        if (s.pattern->event != type || s.pattern->customer_field != field) continue;
        Activation act;
        BindInstance(act, inst, &s);
        act.Bind(s.pattern->binding, event.record);
        Value hit = s.pattern->cond ? Eval(*s.pattern->cond, act) : Value(true);
        if (hit.IsError()) {
          Error(inst, s, "in the condition of the wait for '" + type + "': " + hit.ErrorMessage());
          continue;
        }
        if (!hit.is(ValueKind::kBool) || !hit.AsBool()) continue;
        ++inst.generation;  // cancels the timeout
        Chose(inst, inst.pc, 0, {}, event.input);
        RestoreSlots(inst);
        inst.slots[s.pattern->slot] = event.record;
        inst.pc = s.on_event;
        inst.state = InstanceState::kRunning;
        Run(h);
      }
    }
  }

  Value now(ToTimestamp(now_));
  if (const auto* native = Native()) {
    // Native dispatch: only the triggers the event can fire are tested.
    hits_.clear();
    if (native->Dispatch(type, event.record, now, &hits_)) {
      if (!hits_.empty()) {
        Activation act;
        act.Bind("now", now);
        for (const auto& hit : hits_) {
          uint32_t journey = current_journeys_[hit.journey];
          const ir::Journey& j = *journeys_[journey];
          if (hit.code == compiler::jit::kTestLater) {
            Trigger(journey, event, act);
            continue;
          }
          if (hit.code == compiler::jit::kErrorValue) {
            if (own_key)
              RuleError(journey, event.key, "trigger", "in the trigger condition: " + hits_.ErrorOf(hit).ErrorMessage());
            continue;
          }
          act.Bind(j.trigger->binding, event.record);
          Fire(journey, event, act);
        }
      }
      current_ = nullptr;
      return;
    }
  }
  auto triggered = triggers_.find(type);
  if (triggered != triggers_.end()) {
    // One activation for every trigger condition on this event; each
    // journey binds the event under its own name.
    Activation act;
    act.Bind("now", now);
    for (uint32_t j : triggered->second) Trigger(j, event, act);
  }
  current_ = nullptr;
}

void Engine::Trigger(uint32_t journey, const Event& event, Activation& act) {
  const ir::Journey& j = *journeys_[journey];
  act.Bind(j.trigger->binding, event.record);
  Activation with_customer(&act);
  bool unknown = false;
  if (j.trigger->reads_customer) {
    // The profile of the customer the event is keyed by, on its shard; null
    // for a customer without one. Whatever the event alone rules out stays
    // out; what the profile would have decided starts the journey, whose
    // entry counts the customer as unknown.
    uint32_t profile = ProfileIndex(j.customer);
    if (!Owns(profile, event.key)) return;
    std::optional<uint32_t> customer = store_->FindCustomer(profile, event.key);
    unknown = !customer || store_->customer(*customer).record.is(ValueKind::kNull);
    with_customer.Bind(j.customer, unknown ? Value() : store_->customer(*customer).record);
  }
  if (j.trigger->cond) {
    Value hit = Eval(*j.trigger->cond, with_customer);
    if (hit.IsError() && unknown) {
      Fire(journey, event, act);
      return;
    }
    if (hit.IsError()) {
      if (Owns(ProfileIndex(event.schema->key_profile), event.key))
        RuleError(journey, event.key, "trigger", "in the trigger condition: " + hit.ErrorMessage());
      return;
    }
    if (!hit.is(ValueKind::kBool) || !hit.AsBool()) return;
  }
  Fire(journey, event, act);
}

void Engine::Fire(uint32_t journey, const Event& event, const Activation& act) {
  const ir::Journey& j = *journeys_[journey];
  if (!j.audience) {
    uint32_t profile = ProfileIndex(j.customer);
    if (!Owns(profile, event.key)) return;
    uint32_t customer = current_ == &event && current_keyed_ && current_keyed_->first == profile
                            ? current_keyed_->second
                            : store_->GetOrAddCustomer(profile, event.key);
    Enter(journey, customer, &event.record, event.input);
    return;
  }
  // Fan-out: the candidates the tying equality allows, then the whole
  // audience condition for each.
  const ir::Audience& a = *j.audience;
  std::vector<uint32_t> all;
  const std::vector<uint32_t>* candidates = &all;
  if (!a.profile_field.empty()) {
    const Value* v = Field(event.record, a.event_field);
    if (v == nullptr) return;
    candidates = &AudienceCandidates(journey, *v);
  } else {
    for (const auto& [key, id] : store_->CustomersOf(ProfileIndex(a.profile))) all.push_back(id);
  }
  std::vector<uint32_t> chosen = *candidates;  // entering may rebuild the index
  Activation candidate(&act);
  for (uint32_t c : chosen) {
    const Customer& candidate_customer = store_->customer(c);
    const Value& record = candidate_customer.record;
    if (record.is(ValueKind::kNull) || !Owns(candidate_customer.profile, candidate_customer.key)) continue;
    candidate.Bind(j.customer, record);
    Value hit = Eval(*a.cond, candidate);
    if (hit.IsError()) {
      RuleError(journey, store_->customer(c).key, "audience", "in the audience condition: " + hit.ErrorMessage());
      continue;
    }
    if (hit.is(ValueKind::kBool) && hit.AsBool()) Enter(journey, c, &event.record, event.input);
  }
}

const std::vector<uint32_t>& Engine::AudienceCandidates(uint32_t journey, const Value& value) {
  auto& index = audience_index_[journey];
  const ir::Audience& a = *journeys_[journey]->audience;
  if (!index) {
    index.emplace();
    for (const auto& [key, id] : store_->CustomersOf(ProfileIndex(a.profile))) {
      const Value* v = Field(store_->customer(id).record, a.profile_field);
      if (v && !v->is(ValueKind::kNull)) (*index)[KeyText(*v)].push_back(id);
    }
  }
  static const std::vector<uint32_t> kNone;
  auto it = index->find(KeyText(value));
  return it == index->end() ? kNone : it->second;
}

void Engine::Enter(uint32_t journey, uint32_t customer, const Value* trigger, std::optional<uint64_t> entered_by) {
  const ir::Journey& j = *journeys_[journey];
  JourneyStats& st = stats_[journey];
  if (paused_[journey]) {
    ++st.paused;
    return;
  }
  Customer& c = store_->customer(customer);
  if (c.record.is(ValueKind::kNull)) {
    ++st.unknown_customer;
    return;
  }
  auto last = std::find_if(c.last_entry.begin(), c.last_entry.end(),
                           [&](const auto& e) { return e.first == journey; });
  if (j.reentry != ir::Reentry::kAlways) {
    // Any version of the journey (one retired by a reload counts).
    bool active = std::any_of(c.instances.begin(), c.instances.end(), [&](uint32_t h) {
      uint32_t other = store_->instance(h).journey;
      return other == journey || journeys_[other]->name == j.name;
    });
    bool refused = active || (last != c.last_entry.end() &&
                              (j.reentry == ir::Reentry::kNever ||
                               now_ - last->second < j.reentry_after_millis * kNanosPerMilli));
    if (refused) {
      ++st.not_reentered;
      return;
    }
  }
  if (last != c.last_entry.end()) last->second = now_;
  else c.last_entry.emplace_back(journey, now_);

  uint32_t h = store_->NewInstance();
  JourneyInstance& inst = store_->instance(h);
  inst.journey = static_cast<uint16_t>(journey);  // fewer than UINT16_MAX (AddJourneys)
  inst.customer = customer;
  inst.pc = j.entry;
  inst.entered = now_;
  inst.entry = ++c.entries;
  inst.entered_by = entered_by.value_or(JourneyInstance::kNoInput);
  inst.slots.resize(j.slot_names.size());
  if (j.trigger && trigger) inst.slots[j.trigger->slot] = *trigger;
  c.instances.push_back(h);
  ++st.entered;
  if (DayStats* day = Today(journey)) ++day->entered;
  Run(h);
}

void Engine::Finish(uint32_t handle, Outcome outcome) {
  JourneyInstance& inst = store_->instance(handle);
  JourneyStats& st = stats_[inst.journey];
  if (DayStats* day = Today(inst.journey)) {
    int64_t& n = outcome == Outcome::kCompleted ? day->completed
                 : outcome == Outcome::kExited  ? day->exited
                 : outcome == Outcome::kGoal    ? day->goals
                                                : day->failed;
    ++n;
  }
  switch (outcome) {
    case Outcome::kCompleted: ++st.completed; break;
    case Outcome::kExited: ++st.exited; break;
    case Outcome::kGoal: {
      ++st.goals;
      if (!options_.analytics) break;
      size_t bucket = GoalBucket(std::max<Instant>(0, now_ - inst.entered));
      if (st.goal_after.empty()) st.goal_after.resize(kGoalBuckets);
      ++st.goal_after[bucket];
      std::vector<int64_t>& today = st.Day(now_).goal_after;
      if (today.size() <= bucket) today.resize(bucket + 1);
      ++today[bucket];
      // Each split or `choose best` the instance remembers, once (its
      // latest pass, if a loop came back to it): in all, and on the day
      // the arm was taken if that day is still kept (DayStats::arms).
      for (size_t i = inst.choices.size(); i-- > 0;) {
        const Choice& c = inst.choices[i];
        auto arms = st.arms.find(c.step);
        if (arms == st.arms.end()) continue;
        bool later = std::any_of(inst.choices.begin() + static_cast<std::ptrdiff_t>(i) + 1, inst.choices.end(),
                                 [&](const Choice& d) { return d.step == c.step; });
        size_t arm = c.arm == Choice::kNoArm ? arms->second.size() - 1 : static_cast<size_t>(c.arm);
        if (later || arm >= arms->second.size()) continue;
        ++arms->second[arm].goals;
        // Never more goals than customers on a day: a day restored from a
        // snapshot that did not keep its arms counts only those after.
        if (DayStats* then = st.FindDay(DayOf(c.at)))
          if (auto taken = then->arms.find(c.step); taken != then->arms.end() && arm < taken->second.size() &&
                                                    taken->second[arm].goals < taken->second[arm].customers)
            ++taken->second[arm].goals;
      }
      break;
    }
    case Outcome::kFailed: ++st.failed; break;
  }
  auto& list = store_->customer(inst.customer).instances;
  list.erase(std::remove(list.begin(), list.end(), handle), list.end());
  store_->FreeInstance(handle);
}

std::optional<Instant> Engine::NextWake(uint32_t handle) const {
  const JourneyInstance& inst = store_->instance(handle);
  std::optional<Instant> wake;
  for (const TimerEntry& e : timers_.entries())
    if (e.instance == handle && e.generation == inst.generation && (!wake || e.due < *wake)) wake = e.due;
  return wake;
}

std::optional<Instant> Engine::NextTimer() {
  while (auto top = timers_.Peek()) {
    JourneyInstance& inst = store_->instance(top->instance);
    if (inst.state != InstanceState::kFree && inst.generation == top->generation) return top->due;
    timers_.Pop();
  }
  return std::nullopt;
}

void Engine::AdvanceTo(Instant t) {
  while (!AdvanceSome(t, SIZE_MAX)) {
  }
}

bool Engine::AdvanceSome(Instant t, size_t max_wakeups) {
  for (size_t done = 0; done < max_wakeups; ++done) {
    std::optional<Instant> timer = NextTimer();
    std::optional<Instant> event;
    if (!delayed_.empty()) event = delayed_.begin()->first.first;
    // At equal times, timers go first, as they do before an ingested event.
    if (timer && *timer <= t && (!event || *timer <= *event)) {
      TimerEntry e = timers_.Pop();
      SetNow(e.due);
      FireTimer(e);
    } else if (event && *event <= t) {
      Event next = std::move(delayed_.begin()->second);
      delayed_.erase(delayed_.begin());
      SetNow(next.at);
      Process(next);
    } else {
      SetNow(t);
      return true;
    }
  }
  return false;
}

std::optional<Instant> Engine::NextDue() {
  std::optional<Instant> due = NextTimer();
  if (!delayed_.empty() && (!due || delayed_.begin()->first.first < *due)) due = delayed_.begin()->first.first;
  return due;
}

void Engine::FireTimer(const TimerEntry& entry) {
  JourneyInstance& inst = store_->instance(entry.instance);
  RestoreSlots(inst);  // before the step changes: packed slots are keyed by it
  if (inst.state == InstanceState::kWaitingEvent) {
    Chose(inst, inst.pc, Choice::kNoArm);
    inst.pc = journeys_[inst.journey]->steps[inst.pc].on_timeout;
  }
  ++inst.generation;
  inst.state = InstanceState::kRunning;
  Run(entry.instance);
  DrainCascade();
}

void Engine::Flush() {
  SettleSends();
  // The decisions of one instant, grouped by customer (in key order), each
  // customer's in the order they were made.
  auto first = decisions_.begin() + static_cast<std::ptrdiff_t>(instant_begin_);
  auto by_customer = [](const Decision& a, const Decision& b) { return a.customer < b.customer; };
  if (!std::is_sorted(first, decisions_.end(), by_customer)) {
    // Sort positions, then move each decision once: a Decision is a few
    // dozen strings wide, and a sort moves its elements many times.
    size_t n = static_cast<size_t>(decisions_.end() - first);
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return by_customer(first[a], first[b]); });
    std::vector<Decision> sorted;
    sorted.reserve(n);
    for (size_t i : order) sorted.push_back(std::move(first[i]));
    std::move(sorted.begin(), sorted.end(), first);
  }
  instant_begin_ = decisions_.size();
}

void Engine::SettleSends() {
  if (pending_.empty()) return;
  std::vector<PendingSend> batch = std::move(pending_);
  pending_.clear();
  std::sort(batch.begin(), batch.end(), [&](const PendingSend& a, const PendingSend& b) {
    if (a.request.recipient != b.request.recipient) {
      const Customer& x = store_->customer(a.request.recipient);
      const Customer& y = store_->customer(b.request.recipient);
      if (x.key != y.key) return x.key < y.key;
      return x.profile < y.profile;
    }
    if (a.request.priority != b.request.priority) return a.request.priority > b.request.priority;
    if (a.request.journey != b.request.journey) return a.request.journey < b.request.journey;
    return a.seq < b.seq;
  });
  for (PendingSend& p : batch) {
    p.request.content_text = p.decision.content;
    SetOwner(p.decision, store_->customer(p.request.recipient));  // a restored send's too
    Verdict v = policy_->Judge(p.request, store_->customer(p.request.recipient), &p.decision.checks);
    JourneyStats& st = stats_[p.request.journey];
    if (v.rule == nullptr) {
      AddToHistory(p.request.recipient, Interaction{p.request.at, p.request.channel, p.request.content, 0,
                                                    static_cast<uint16_t>(p.request.journey + 1), true, p.request.role});
      if (options_.analytics) {
        ++st.actions[names_.Get(p.request.channel)];
        ++st.Day(p.request.at).actions[names_.Get(p.request.channel)];
      }
      Emit(std::move(p.decision));
    } else {
      Decision d = std::move(p.decision);
      d.kind = DecisionKind::kSuppressed;
      d.policy = v.rule->policy;
      d.rule = v.rule->text;
      d.rule_at = v.rule->at;
      d.reason = std::move(v.reason);
      d.checks.clear();
      d.held_key = std::move(d.idempotency_key);
      d.idempotency_key.clear();
      d.message.reset();  // what was held back is the template's, by id
      if (options_.analytics) {
        ++st.suppressed[d.rule];
        ++st.Day(p.request.at).suppressed[d.rule];
      }
      Emit(std::move(d));
    }
  }
}

void Engine::RuleError(uint32_t journey, const std::string& customer, const std::string& rule,
                       std::string reason) {
  const ir::Journey& j = *journeys_[journey];
  Decision d;
  d.kind = DecisionKind::kError;
  d.at = now_;
  d.journey = j.name;
  d.version = j.version;
  d.version_id = version_ids_[journey];
  d.customer = customer;
  d.step = rule;
  d.cause = current_ ? current_->schema->name : "timer";
  if (current_) d.input = current_->input;
  d.reason = std::move(reason);
  ++stats_[journey].errors;
  if (DayStats* day = Today(journey)) ++day->errors;
  Emit(std::move(d));
}

std::vector<Decision> Engine::TakeDecisions() {
  std::vector<Decision> out = std::move(decisions_);
  decisions_.clear();
  // The next batch is likely as large as this one: room for it now saves
  // moving every decision each time the vector would have grown.
  decisions_.reserve(std::min<size_t>(out.size(), 4096));
  instant_begin_ = 0;
  return out;
}

void Engine::Emit(Decision&& d) {
  if (d.kind == DecisionKind::kAction) {
    OpenWork(d);
    if (options_.outbox) outbox_.Append(d);
  }
  decisions_.push_back(std::move(d));
}

void Engine::OpenWork(const Decision& d) {
  WorkTask task;
  if (d.action == "task") {
    task.assignee = d.recipient;
    task.channel = d.channel.empty() ? "task" : d.channel;
  } else if (d.action == "send") {
    auto channel = program_->channels.find(d.channel);
    if (channel == program_->channels.end()) return;
    // A task channel's recipient is the colleague who does it; a case
    // waits in its channel's queue for whoever takes it.
    if (channel->second.kind == ir::ChannelKind::kTask)
      task.assignee = d.recipient;
    else if (channel->second.kind != ir::ChannelKind::kCase)
      return;
    task.channel = d.channel;
  } else {
    return;
  }
  task.id = d.idempotency_key;
  task.customer = d.customer;
  task.journey = d.journey;
  task.version = d.version;
  task.step = d.step;
  task.content = d.content;
  task.opened = d.at;
  task.due = d.due;
  work_.Open(std::move(task));
}

void Engine::ReportWork(const Event& event) {
  const std::string& type = event.schema->name;
  bool completed = type == kTaskCompleted;
  if (!completed && type != kTaskReassigned) return;
  const Value* id = Field(event.record, "task_id");
  if (!id || !id->is(ValueKind::kString)) return;
  const Value* detail = Field(event.record, completed ? "outcome" : "assignee");
  std::string text = detail && detail->is(ValueKind::kString) ? detail->AsString() : "";
  if (completed)
    work_.Close(id->AsString(), event.at, std::move(text));
  else if (!text.empty())
    work_.Reassign(id->AsString(), std::move(text), event.at);
}

bool Engine::ForEachInteraction(const Value& profile,
                                const std::function<void(const stdlib::InteractionView&)>& fn) const {
  auto id = CustomerOf(profile);
  if (!id) return false;
  for (const Interaction& i : store_->customer(*id).history)
    fn(stdlib::InteractionView{i.at, names_.Get(i.name), i.action});
  return true;
}

}  // namespace tutti::runtime
