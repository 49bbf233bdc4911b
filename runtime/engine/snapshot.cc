// Engine snapshots: the whole state of an engine between two inputs, as
// bytes (snapshot_codec.h), and back. The daemon restores one instead of
// replaying its input log from the start (docs/operations.md, Snapshots).
//
// What is saved is exactly what inputs built: the clock, the interned
// names, the timer heap as it lies, every customer and instance slot
// (free ones too, for their generations), packed-slot shapes, sends
// waiting for the contact policy, events emitted for later, the decision
// log not yet taken, the outbox and the counters. What is derived from
// the journeys (trigger and route tables, the contact policy) comes from
// the restoring engine's own versions; caches (audience indexes) are
// rebuilt when first needed.
//
// The format is versioned (kFormat) so that a later build of tutti can
// restore what this one saved: instances are placed by step id and
// variable name (snapshot_positions.h), not by how this build lowered the
// journeys, and a build that changes what is written raises kFormat and
// keeps reading the formats before it. tests/fixtures/snapshots/ keeps a
// snapshot of each format, which every build must restore
// (docs/operations.md, "Upgrading tutti").

#include <algorithm>
#include <map>
#include <unordered_map>

#include "base/check.h"
#include "base/text.h"
#include "runtime/engine/engine.h"
#include "runtime/engine/snapshot_codec.h"
#include "runtime/engine/snapshot_positions.h"
#include "runtime/engine/stable_hash.h"

namespace tutti::runtime {

using compiler::eval::RecordShape;
namespace ir = compiler::ir;

namespace {

constexpr std::string_view kMagic = "tutti-engine-snapshot";
/// The format this build writes, and the oldest it restores. Format 4 is
/// the first whose snapshots later builds must restore; 5 adds each
/// decision's version_id (a format-4 decision takes that of the journey
/// version it names); 6 a send's approval id and rendered message, and a
/// checksum after the closing magic; 7 what decisions and instances keep
/// for explanations: the input that caused a decision, the one that
/// started its instance, and the instance's choices (a format-6 instance
/// restores with none); 8 the work queue (an earlier snapshot restores
/// with none open: the tasks opened after it are listed) and each
/// journey's counts per day (an earlier snapshot restores with none: a
/// window counts from the restart); 9 each day's steps reached, arms
/// taken and times to goal (an earlier snapshot's days restore without:
/// a window's steps, arms and times to goal count from the restart), and
/// each task's assignee's role in the histories (Interaction::role; an
/// earlier snapshot's tasks count under their channel's role).
constexpr uint64_t kFormat = 9;
constexpr uint64_t kOldestFormat = 4;

/// Moves choices to this build's steps; one made at a step this build
/// does not find is forgotten.
/// `choices`: a decision's (std::vector) or an instance's (CompactVector).
template <typename Choices>
void PlaceChoices(Choices& choices, const PositionMap& map) {
  for (Choice& c : choices) c.step = map.Step(c.step);
  auto kept = std::remove_if(choices.begin(), choices.end(), [](const Choice& c) { return c.step == PositionMap::kGone; });
  choices.resize(static_cast<size_t>(kept - choices.begin()));
}

/// The record layouts of a version: every event and profile, fields in
/// slot order.
uint64_t Layouts(const SchemaTable& table) {
  std::string text;
  for (RecordKind kind : {RecordKind::kEvent, RecordKind::kProfile})
    for (const std::string& name : kind == RecordKind::kEvent ? table.EventNames() : table.ProfileNames()) {
      text += std::string("\x1d") + (kind == RecordKind::kEvent ? "e " : "p ") + name;
      for (const std::string& f : table.Find(kind, name)->shape.fields) text += '\x1f' + f;
    }
  return StableHash(text);
}

// How a shape is described: a record type of one version's schemas, or a
// projection of another shape onto some of its fields.
enum ShapeKind : uint8_t { kEventShape, kProfileShape, kProjection };

}  // namespace

void Engine::WriteShape(SnapshotWriter& out, const RecordShape* shape) const {
  for (size_t v = schema_versions_.size(); v-- > 0;) {
    const SchemaTable& table = *schema_versions_[v];
    for (RecordKind kind : {RecordKind::kProfile, RecordKind::kEvent}) {
      const Schema* s = table.Find(kind, shape->type_name);
      if (s == nullptr || &s->shape != shape) continue;
      out.Byte(kind == RecordKind::kEvent ? kEventShape : kProfileShape);
      out.U64(v);
      out.String(shape->type_name);
      return;
    }
  }
  for (const auto& [key, projected] : projections_) {
    if (projected.get() != shape) continue;
    // The fields it was asked for (ProjectionShape's key), which the
    // shape keeps those of in the base shape's order.
    std::vector<std::string_view> asked;
    for (size_t at = 0, end; (end = key.second.find('\x1f', at)) != std::string::npos; at = end + 1)
      asked.push_back(std::string_view(key.second).substr(at, end - at));
    out.Byte(kProjection);
    out.Shape(key.first);
    out.U64(asked.size());
    for (std::string_view f : asked) out.String(f);
    return;
  }
  TUTTI_UNREACHABLE("every record's shape is a schema's or a projection");
}

const RecordShape* Engine::ReadShape(SnapshotReader& in) {
  uint8_t kind = in.Byte();
  if (kind == kProjection) {
    const RecordShape* base = in.Shape();
    std::vector<std::string> fields(in.Count());
    for (std::string& f : fields) f = in.String();
    if (!in.ok() || !std::is_sorted(fields.begin(), fields.end())) return nullptr;
    return ProjectionShape(base, fields);
  }
  if (kind != kEventShape && kind != kProfileShape) return nullptr;
  uint64_t v = in.Index(schema_versions_.size(), "version");
  std::string name = in.String();
  if (!in.ok()) return nullptr;
  const Schema* s = schema_versions_[v]->Find(kind == kEventShape ? RecordKind::kEvent : RecordKind::kProfile, name);
  return s ? &s->shape : nullptr;
}

void Engine::WriteEventSchema(SnapshotWriter& out, const Schema* schema) const {
  for (size_t v = schema_versions_.size(); v-- > 0;) {
    if (schema_versions_[v]->FindEvent(schema->name) != schema) continue;
    out.U64(v);
    out.String(schema->name);
    return;
  }
  TUTTI_UNREACHABLE("an event's schema belongs to a version");
}

const Schema* Engine::ReadEventSchema(SnapshotReader& in) const {
  uint64_t v = in.Index(schema_versions_.size(), "version");
  std::string name = in.String();
  const Schema* s = in.ok() ? schema_versions_[v]->FindEvent(name) : nullptr;
  if (s == nullptr) in.Fail("the snapshot holds an event of a type the journeys do not declare: " + name);
  return s;
}

namespace {

void WriteCounts(SnapshotWriter& out, const NamedCounts& counts) {
  out.U64(counts.size());
  for (const auto& [name, n] : counts) {
    out.String(name);
    out.I64(n);
  }
}

/// A journey's count: from 0 to 2^48, so that adding up shards', or a
/// cluster's nodes' (whose counts come from outside), cannot overflow.
int64_t ReadTally(SnapshotReader& in) {
  int64_t n = in.I64();
  if (n < 0 || n > (int64_t{1} << 48)) in.Fail("a journey's count is out of range");
  return n;
}

void ReadCounts(SnapshotReader& in, NamedCounts& counts) {
  std::vector<NamedCounts::Entry> read;
  for (size_t n = in.Count(2); n > 0 && in.ok(); --n) {
    std::string name = in.String();
    read.emplace_back(std::move(name), ReadTally(in));
  }
  counts = NamedCounts::FromList(std::move(read));
}

void WriteVisits(SnapshotWriter& out, const std::vector<int64_t>& visits) {
  out.U64(visits.size());
  for (int64_t n : visits) out.I64(n);
}

/// Step counts of the saved build's steps, moved to this build's (`into`:
/// one per step, zero where none is saved); a day's may be empty.
void ReadVisits(SnapshotReader& in, std::vector<int64_t>& into, const PositionMap& map, bool may_be_empty) {
  size_t visits = in.Count();
  if (visits != map.steps.size() && !(may_be_empty && visits == 0))
    in.Fail("the snapshot's step counts do not fit the journey's steps");
  into.assign(visits == 0 && may_be_empty ? 0 : into.size(), 0);
  for (size_t i = 0; i < visits && in.ok(); ++i) {
    int64_t n = ReadTally(in);
    if (ir::StepIndex at = map.Step(static_cast<ir::StepIndex>(i)); at < into.size()) into[at] = n;
  }
}

void WriteGoalAfter(SnapshotWriter& out, const std::vector<int64_t>& goal_after) {
  out.U64(goal_after.size());
  for (int64_t n : goal_after) out.I64(n);
}

void ReadGoalAfter(SnapshotReader& in, std::vector<int64_t>& goal_after, bool whole) {
  size_t buckets = in.Count();
  if (whole ? buckets != 0 && buckets != kGoalBuckets : buckets > kGoalBuckets)
    in.Fail("the snapshot's times to goal do not fit this build's buckets");
  goal_after.resize(in.ok() ? buckets : 0);
  for (int64_t& n : goal_after) n = ReadTally(in);
}

void WriteArms(SnapshotWriter& out, const std::map<uint32_t, std::vector<ArmStats>>& arms) {
  out.U64(arms.size());
  for (const auto& [step, taken] : arms) {
    out.U64(step);
    out.U64(taken.size());
    for (const ArmStats& a : taken) {
      out.I64(a.customers);
      out.I64(a.goals);
    }
  }
}

/// Arms by the saved build's steps, moved to this build's: a step this
/// build does not find, or finds with other arms, is dropped.
void ReadArms(SnapshotReader& in, std::map<uint32_t, std::vector<ArmStats>>& into, const PositionMap& map,
              const ir::Journey& journey) {
  into.clear();
  for (size_t n = in.Count(2); n > 0 && in.ok(); --n) {
    ir::StepIndex at = map.Step(static_cast<ir::StepIndex>(in.U64()));
    std::vector<ArmStats> arms(in.Count(2));
    for (ArmStats& a : arms) {
      a.customers = ReadTally(in);
      a.goals = ReadTally(in);
    }
    bool fits = at < journey.steps.size() &&
                (journey.steps[at].op == ir::StepOp::kWaitEvent
                     ? arms.size() == 2
                     : journey.steps[at].arms.size() + 1 == arms.size() &&
                           (journey.steps[at].op == ir::StepOp::kSplit || journey.steps[at].op == ir::StepOp::kChooseBest));
    if (fits) into[at] = std::move(arms);
  }
}

void WriteStats(SnapshotWriter& out, const JourneyStats& s) {
  for (int64_t n : {s.entered, s.completed, s.exited, s.goals, s.failed, s.not_reentered, s.unknown_customer,
                    s.paused, s.errors, s.deferred, s.unassigned})
    out.I64(n);
  WriteCounts(out, s.actions);
  WriteCounts(out, s.suppressed);
  WriteVisits(out, s.step_visits);
  WriteGoalAfter(out, s.goal_after);
  WriteArms(out, s.arms);
  out.U64(s.days.size());
  for (const DayStats& d : s.days) {
    for (int64_t n : {d.day, d.entered, d.completed, d.exited, d.goals, d.failed, d.errors, d.deferred, d.unassigned})
      out.I64(n);
    WriteCounts(out, d.actions);
    WriteCounts(out, d.suppressed);
    // Format 9: a day's steps, times to goal and arms.
    WriteVisits(out, d.step_visits);
    WriteGoalAfter(out, d.goal_after);
    WriteArms(out, d.arms);
  }
}

void ReadStats(SnapshotReader& in, JourneyStats& s, const PositionMap& map, const ir::Journey& journey) {
  for (int64_t* n : {&s.entered, &s.completed, &s.exited, &s.goals, &s.failed, &s.not_reentered,
                     &s.unknown_customer, &s.paused, &s.errors, &s.deferred, &s.unassigned})
    *n = ReadTally(in);
  ReadCounts(in, s.actions);
  ReadCounts(in, s.suppressed);
  ReadVisits(in, s.step_visits, map, false);
  s.arms.clear();
  s.goal_after.clear();
  if (in.format() < 7) return;
  ReadGoalAfter(in, s.goal_after, true);
  ReadArms(in, s.arms, map, journey);
  s.days.clear();
  if (in.format() < 8) return;
  for (size_t n = in.Count(11); n > 0 && in.ok(); --n) {
    DayStats d;
    d.day = in.I64();
    for (int64_t* v : {&d.entered, &d.completed, &d.exited, &d.goals, &d.failed, &d.errors, &d.deferred, &d.unassigned})
      *v = ReadTally(in);
    ReadCounts(in, d.actions);
    ReadCounts(in, d.suppressed);
    if (in.format() >= 9) {
      d.step_visits.resize(journey.steps.size());
      ReadVisits(in, d.step_visits, map, true);
      ReadGoalAfter(in, d.goal_after, false);
      ReadArms(in, d.arms, map, journey);
    }
    if (!s.days.empty() && d.day <= s.days.back().day) in.Fail("a journey's days of counts are out of order");
    if (d.day < DayOf(INT64_MIN) || d.day > DayOf(INT64_MAX)) in.Fail("a journey's day of counts is outside the engine's time");
    s.days.push_back(std::move(d));
  }
}

}  // namespace

std::string EncodeJourneyStats(const JourneyStats& stats) {
  SnapshotWriter out([](SnapshotWriter&, const RecordShape*) {});
  out.U64(kFormat);
  WriteStats(out, stats);
  return std::move(out.bytes());
}

std::optional<JourneyStats> DecodeJourneyStats(std::string_view bytes, const ir::Journey& journey) {
  SnapshotReader in(bytes, [](SnapshotReader& r) -> const RecordShape* {
    r.Fail("counts hold no records");
    return nullptr;
  });
  uint64_t format = in.U64();
  if (!in.ok() || format < 9 || format > kFormat) return std::nullopt;
  in.set_format(format);
  PositionMap same;  // the same version: every step where it is
  for (ir::StepIndex i = 0; i < journey.steps.size(); ++i) same.steps.push_back(i);
  JourneyStats stats;
  stats.step_visits.resize(journey.steps.size());
  ReadStats(in, stats, same, journey);
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return stats;
}

std::string Engine::Save() const {
  TUTTI_CHECK(cascade_.empty() && current_ == nullptr, "saved between two inputs");
  SnapshotWriter out([this](SnapshotWriter& w, const RecordShape* shape) { WriteShape(w, shape); });
  out.String(kMagic);
  out.U64(kFormat);
  out.U64(journeys_.size());
  for (uint32_t j = 0; j < journeys_.size(); ++j) {
    const ir::Journey& journey = *journeys_[j];
    out.String(journey.name);
    out.I64(journey.version);
    out.Bool(retired_[j]);
    out.String(journey.customer);
    out.U64(StableHash(journey.DeclarationText()));
    SavedPositions positions = PositionsOf(journey);
    out.U64(positions.step_ids.size());
    for (const std::string& id : positions.step_ids) out.String(id);
    out.U64(positions.slots.size());
    for (const auto& [name, type] : positions.slots) {
      out.String(name);
      out.String(type);
    }
  }
  out.U64(schema_versions_.size());
  for (const SchemaTable* table : schema_versions_) out.U64(Layouts(*table));
  out.I64(now_);
  out.U64(names_.size());
  for (uint32_t id = 0; id < names_.size(); ++id) out.String(names_.Get(id));
  out.U64(roles_.size());
  for (uint32_t name : roles_) out.U64(name);

  out.U64(timers_.next_seq());
  out.U64(timers_.size());
  for (const TimerEntry& t : timers_.entries()) {
    out.I64(t.due);
    out.U64(t.seq);
    out.U64(t.instance);
    out.U64(t.generation);
  }
  store_->Save(out);
  // In key order, so that one state writes one snapshot.
  std::vector<std::pair<PackedAt, const compiler::eval::RecordShape*>> packed(packed_shapes_.begin(),
                                                                              packed_shapes_.end());
  std::sort(packed.begin(), packed.end());
  out.U64(packed.size());
  for (const auto& [where, shape] : packed) {
    out.U64(std::get<0>(where));
    out.U64(std::get<1>(where));
    out.U64(std::get<2>(where));
    out.Shape(shape);
  }
  out.U64(pending_seq_);
  out.U64(pending_.size());
  for (const PendingSend& p : pending_) {
    out.I64(p.request.at);
    out.U64(p.request.journey);
    out.I64(p.request.priority);
    out.U64(p.request.channel);
    out.U64(p.request.content);
    out.U64(p.request.recipient);
    out.Byte(p.request.role);
    out.Decision(p.decision);
    out.U64(p.seq);
  }
  out.U64(delayed_seq_);
  out.U64(delayed_.size());
  for (const auto& [when, e] : delayed_) {
    out.I64(when.first);
    out.U64(when.second);
    WriteEventSchema(out, e.schema);
    out.Value(e.record);
    out.String(e.key);
    out.I64(e.at);
    out.I64(e.depth);
    out.OptionalU64(e.input);
  }
  out.U64(decisions_.size());
  for (const Decision& d : decisions_) out.Decision(d);
  out.U64(instant_begin_);
  out.U64(outbox_.first_seq());
  out.U64(outbox_.size());
  for (const OutboxEntry* e : outbox_.Since(0, outbox_.size())) {
    out.Decision(e->action);
    out.Byte(static_cast<uint8_t>(e->state));
    out.I64(e->attempts);
  }
  for (const JourneyStats& s : stats_) WriteStats(out, s);
  out.U64(interpreted_fallbacks_);
  for (uint32_t j = 0; j < journeys_.size(); ++j) out.Bool(paused_[j]);
  work_.Save(out);
  out.String(kMagic);  // the end: a truncated snapshot fails here at the latest
  // From format 6: a checksum of all the bytes before it, so that damage
  // inside a string (a rendered message) is found too.
  std::string& bytes = out.bytes();
  uint64_t sum = StableHash(bytes);
  for (int i = 0; i < 8; ++i) bytes += static_cast<char>(sum >> (8 * i));
  return std::move(bytes);
}

Status Engine::Restore(std::string_view snapshot) {
  TUTTI_CHECK(now_ == INT64_MIN && store_->customer_count() == 0, "restored into a fresh engine");
  {
    // Format 6 on ends with a checksum of the bytes before it.
    SnapshotReader head(snapshot, [](SnapshotReader&) { return nullptr; });
    uint64_t format = head.String() == kMagic ? head.U64() : 0;
    if (format >= 6 && format <= kFormat && head.ok()) {
      uint64_t sum = 0;
      for (int i = 0; i < 8 && snapshot.size() >= 8; ++i)
        sum |= static_cast<uint64_t>(static_cast<uint8_t>(snapshot[snapshot.size() - 8 + i])) << (8 * i);
      if (snapshot.size() < 8 || sum != StableHash(snapshot.substr(0, snapshot.size() - 8)))
        return Status::Corruption("cannot restore the engine's snapshot: its checksum does not match its bytes (it was "
                                  "damaged or cut short)");
      snapshot.remove_suffix(8);
    }
  }
  SnapshotReader in(snapshot, [this](SnapshotReader& r) { return ReadShape(r); });
  // A rule a restored decision passed: the running program's, or a copy
  // kept for as long as the engine (a rule of an earlier version).
  in.set_rules([this](const ir::PolicyRule& saved) -> const ir::PolicyRule* {
    auto same = [&](const ir::PolicyRule& r) {
      return r.kind == saved.kind && r.text == saved.text && r.at == saved.at && r.count == saved.count;
    };
    for (const ir::PolicyRule& r : program_->rules)
      if (same(r)) return &r;
    for (const ir::PolicyRule& r : kept_rules_)
      if (same(r)) return &r;
    return &kept_rules_.emplace_back(saved);
  });
  auto fail = [&](std::string why) {
    in.Fail(std::move(why));
    return Status::Corruption("cannot restore the engine's snapshot: " + in.error());
  };
  const std::string other = "the snapshot was saved over other versions of the journeys";
  if (in.String() != kMagic) return fail("this is not an engine snapshot (or one older than format 4)");
  uint64_t format = in.U64();
  if (format < kOldestFormat || format > kFormat)
    return fail("the snapshot is of format " + std::to_string(format) + ", and this build of tutti restores formats " +
                std::to_string(kOldestFormat) + " to " + std::to_string(kFormat) +
                (format > kFormat ? " (it was written by a later tutti)" : ""));
  in.set_format(format);
  if (in.U64() != journeys_.size()) return fail(other);
  std::vector<PositionMap> positions(journeys_.size());
  // A decision as saved; format 4 kept no version_id: that of the newest
  // version with the journey's name and written number. Its choices move
  // to this build's steps of that version, as instances do.
  auto decision = [&] {
    Decision d = in.Decision();
    for (uint32_t j = static_cast<uint32_t>(journeys_.size()); format < 5 && j-- > 0;)
      if (journeys_[j]->name == d.journey && journeys_[j]->version == d.version) {
        d.version_id = version_ids_[j];
        break;
      }
    if (!d.choices.empty()) {
      auto j = std::find(version_ids_.begin(), version_ids_.end(), d.version_id);
      const PositionMap* map = j == version_ids_.end() ? nullptr : &positions[static_cast<size_t>(j - version_ids_.begin())];
      if (map == nullptr) d.choices.clear();
      else if (!map->identity) PlaceChoices(d.choices, *map);
    }
    return d;
  };
  for (uint32_t j = 0; j < journeys_.size() && in.ok(); ++j) {
    const ir::Journey& journey = *journeys_[j];
    std::string name = in.String();
    int64_t version = in.I64();
    bool retired = in.Bool();
    std::string customer = in.String();
    uint64_t declaration = in.U64();
    if (!in.ok()) break;
    if (name != journey.name || version != journey.version || retired != retired_[j] || customer != journey.customer ||
        declaration != StableHash(journey.DeclarationText()))
      return fail(other + " (journey " + Printable(name, 100) + " differs)");
    SavedPositions saved;
    saved.step_ids.resize(in.Count());
    for (std::string& id : saved.step_ids) id = in.String();
    saved.slots.resize(in.Count(2));
    for (auto& [slot, type] : saved.slots) {
      slot = in.String();
      type = in.String();
    }
    positions[j] = MapPositions(saved, journey);
  }
  if (in.U64() != schema_versions_.size()) return fail(other);
  for (const SchemaTable* table : schema_versions_)
    if (in.U64() != Layouts(*table)) return fail(other + " (the records are laid out differently)");
  now_ = in.I64();
  names_ = Names();
  size_t names = in.Count();
  for (size_t id = 0; id < names && in.ok(); ++id) {
    std::string name = in.String();
    if (names_.Intern(name) != id) return fail("the snapshot's names repeat " + name);
  }
  roles_.clear();
  if (in.format() >= 9) {
    size_t roles = in.Count();
    if (roles > kMaxRoles) return fail("the snapshot holds more assignees' roles than are kept");
    for (size_t r = 0; r < roles && in.ok(); ++r)
      roles_.push_back(static_cast<uint32_t>(in.Index(names_.size(), "name")));
  }

  uint64_t timer_seq = in.U64();
  std::vector<TimerEntry> heap(in.Count(4));
  for (TimerEntry& t : heap) {
    t.due = in.I64();
    t.seq = in.U64();
    t.instance = static_cast<uint32_t>(in.U64());
    t.generation = static_cast<uint32_t>(in.U64());
  }
  store_->Restore(in);
  if (!in.ok()) return fail("");
  if (std::string why = PlaceInstances(positions); !why.empty()) return fail(why);
  for (const TimerEntry& t : heap)
    if (t.instance >= store_->handles()) return fail("a timer names an instance the snapshot does not hold");
  if (!timers_.Restore(std::move(heap), timer_seq)) return fail("the snapshot's timers are out of order");

  for (size_t n = in.Count(4); n > 0 && in.ok(); --n) {
    uint32_t journey = static_cast<uint32_t>(in.Index(journeys_.size(), "journey"));
    uint32_t pc = static_cast<uint32_t>(in.U64());
    uint32_t slot = static_cast<uint32_t>(in.U64());
    const RecordShape* shape = in.Shape();
    if (!in.ok()) break;
    const PositionMap& map = positions[journey];
    pc = map.Step(pc);
    slot = slot < map.slots.size() ? map.slots[slot] : PositionMap::kGone;
    if (pc != PositionMap::kGone && slot != PositionMap::kGone)
      packed_shapes_.emplace(std::make_tuple(journey, pc, slot), shape);
  }
  pending_seq_ = in.U64();
  pending_.resize(in.Count(8));
  for (PendingSend& p : pending_) {
    p.request.at = in.I64();
    p.request.journey = static_cast<uint32_t>(in.Index(journeys_.size(), "journey"));
    p.request.priority = in.I64();
    p.request.channel = static_cast<uint32_t>(in.Index(names_.size(), "name"));
    p.request.content = static_cast<uint32_t>(in.U64());
    p.request.recipient = static_cast<uint32_t>(in.Index(store_->customer_count(), "customer"));
    if (in.format() >= 9) p.request.role = in.Byte();
    if (p.request.role > roles_.size()) in.Fail("a send waiting for its verdict names an unknown role");
    p.decision = decision();
    p.seq = in.U64();
  }
  delayed_seq_ = in.U64();
  for (size_t n = in.Count(8); n > 0 && in.ok(); --n) {
    Instant at = in.I64();
    uint64_t order = in.U64();
    Event e;
    e.schema = ReadEventSchema(in);
    e.record = in.Value();
    e.key = in.String();
    e.at = in.I64();
    e.depth = static_cast<int>(in.I64());
    if (in.format() >= 7) e.input = in.OptionalU64();
    delayed_.emplace(std::make_pair(at, order), std::move(e));
  }
  decisions_.resize(in.Count(8));
  for (Decision& d : decisions_) d = decision();
  instant_begin_ = in.Index(decisions_.size() + 1, "decision");
  uint64_t first_seq = in.U64();
  std::deque<OutboxEntry> outbox(in.Count(8));
  for (OutboxEntry& e : outbox) {
    e.action = decision();
    uint8_t state = in.Byte();
    if (state > static_cast<uint8_t>(DeliveryState::kDeadLetter)) in.Fail("an action has an unknown delivery state");
    e.state = static_cast<DeliveryState>(state);
    e.attempts = static_cast<int>(in.I64());
  }
  outbox_.Restore(first_seq, std::move(outbox));
  for (uint32_t j = 0; j < stats_.size(); ++j) ReadStats(in, stats_[j], positions[j], *journeys_[j]);
  interpreted_fallbacks_ = in.U64();
  for (uint32_t j = 0; j < journeys_.size(); ++j) paused_[j] = in.Bool();
  if (in.format() >= 8) work_.Restore(in);
  if (in.String() != kMagic || !in.at_end()) return fail("the snapshot does not end where it should");

  if (Status why = Inconsistency(); !why.ok()) return fail(why.message());
  audience_index_.assign(journeys_.size(), std::nullopt);
  return Status::Ok();
}

std::string Engine::PlaceInstances(const std::vector<PositionMap>& positions) {
  for (uint32_t h = 0; h < store_->handles(); ++h) {
    JourneyInstance& inst = store_->instance(h);
    if (inst.state == InstanceState::kFree) continue;
    if (inst.journey >= positions.size()) return "an instance names an unknown journey";
    const PositionMap& map = positions[inst.journey];
    if (map.identity) continue;
    const ir::Journey& j = *journeys_[inst.journey];
    ir::StepIndex pc = map.Step(inst.pc);
    if (pc == PositionMap::kGone)
      return "an instance of " + j.name + " rests at a step this build of tutti does not find in the journey";
    InstanceSlots slots;
    slots.resize(j.slot_names.size());
    uint32_t packed = 0;
    for (uint32_t s = 0; s < inst.slots.size(); ++s) {
      uint32_t to = s < map.slots.size() ? map.slots[s] : PositionMap::kGone;
      if (to == PositionMap::kGone) {
        // Nothing of this build's journey reads it.
        continue;
      }
      slots[to] = std::move(inst.slots[s]);
      if (s < 32 && (inst.slots.packed >> s & 1)) {
        if (to >= 32) return "an instance of " + j.name + " holds a packed value in a slot this build cannot pack";
        packed |= uint32_t{1} << to;
      }
    }
    inst.pc = pc;
    inst.slots = std::move(slots);
    inst.slots.packed = packed;
    PlaceChoices(inst.choices, map);
  }
  return "";
}

Status Engine::Inconsistency() const {
  // Every instance in use belongs to the customer that lists it, and is
  // at a step of its journey it can be at between two inputs.
  size_t listed = 0;
  for (uint32_t c = 0; c < store_->customer_count(); ++c) {
    const Customer& customer = store_->customer(c);
    for (uint32_t h : customer.instances)
      if (store_->instance(h).customer != c) return Status::Corruption("an instance is listed by a customer it does not belong to");
    listed += customer.instances.size();
    for (const Interaction& i : customer.history)
      if (i.name >= names_.size() || i.journey > journeys_.size() || i.role > roles_.size())
        return Status::Corruption("the history of " + customer.key + " names something unknown");
  }
  if (listed != store_->active_instances()) return Status::Corruption("an instance belongs to no customer");
  for (uint32_t h = 0; h < store_->handles(); ++h) {
    const JourneyInstance& inst = store_->instance(h);
    if (inst.state == InstanceState::kFree) continue;
    if (inst.journey >= journeys_.size()) return Status::Corruption("an instance names an unknown journey");
    const ir::Journey& j = *journeys_[inst.journey];
    bool at_step = inst.pc != ir::kDone && inst.pc < j.steps.size();
    if (!at_step && inst.pc != ir::kDone) return Status::Corruption("an instance of " + j.name + " is at a step it does not have");
    if (inst.state == InstanceState::kRunning) return Status::Corruption("an instance was running when the snapshot was saved");
    if (inst.state == InstanceState::kWaitingEvent && !(at_step && j.steps[inst.pc].op == ir::StepOp::kWaitEvent))
      return Status::Corruption("an instance of " + j.name + " waits for an event at a step that is not such a wait");
    if (inst.slots.size() > j.slot_names.size()) return Status::Corruption("an instance of " + j.name + " has more slots than it declares");
    for (const Choice& c : inst.choices)
      if (c.step >= j.steps.size()) return Status::Corruption("an instance of " + j.name + " made a choice at a step it does not have");
    if (inst.choices.size() > JourneyInstance::kMaxChoices)
      return Status::Corruption("an instance of " + j.name + " holds more choices than are kept");
    for (uint32_t slot = 0; slot < 32; ++slot) {
      if (!(inst.slots.packed >> slot & 1)) continue;
      auto shape = packed_shapes_.find(std::make_tuple(inst.journey, inst.pc, slot));
      if (slot >= inst.slots.size() || shape == packed_shapes_.end() || shape->second->fields.size() != 1)
        return Status::Corruption("an instance of " + j.name + " holds a packed value the snapshot cannot unpack");
    }
  }
  return Status::Ok();
}

void InMemoryStore::Save(SnapshotWriter& out) const {
  out.U64(customers_.size());
  for (const Customer& c : customers_) {
    out.U64(c.profile);
    out.String(c.key);
    out.Value(c.record);
    out.U64(c.instances.size());
    for (uint32_t h : c.instances) out.U64(h);
    out.U64(c.history.size());
    for (const Interaction& i : c.history) {
      out.I64(i.at);
      out.U64(i.name);
      out.U64(i.content);
      out.U64(i.about);
      out.U64(i.journey);
      out.Bool(i.action);
      out.Byte(i.role);
    }
    out.U64(c.last_entry.size());
    for (const auto& [journey, at] : c.last_entry) {
      out.U64(journey);
      out.I64(at);
    }
    out.U64(c.entries);
    out.U64(c.account);
  }
  out.U64(instances_.size());
  for (const JourneyInstance& i : instances_) {
    out.Byte(static_cast<uint8_t>(i.state));
    out.U64(i.generation);
    if (i.state == InstanceState::kFree) continue;
    out.U64(i.journey);
    out.U64(i.customer);
    out.U64(i.pc);
    out.U64(i.entry);
    out.U64(i.actions);
    out.I64(i.entered);
    out.U64(i.slots.packed);
    out.U64(i.slots.size());
    for (const compiler::eval::Value& v : i.slots) out.Value(v);
    out.OptionalU64(i.EnteredBy());
    out.Choices({i.choices.data(), i.choices.size()});
  }
  out.U64(free_.size());
  for (uint32_t h : free_) out.U64(h);
}

void InMemoryStore::Restore(SnapshotReader& in) {
  TUTTI_CHECK(customers_.empty() && instances_.empty(), "restored into an empty store");
  size_t customers = in.Count(8);
  for (size_t id = 0; id < customers && in.ok(); ++id) {
    Customer& c = customers_.emplace_back();
    c.profile = static_cast<uint32_t>(in.Index(by_profile_.size(), "profile"));
    c.key = in.String();
    c.record = in.Value();
    c.instances.resize(in.Count());
    for (uint32_t& h : c.instances) h = static_cast<uint32_t>(in.U64());
    c.history.resize(in.Count(6));
    for (Interaction& i : c.history) {
      i.at = in.I64();
      i.name = static_cast<uint32_t>(in.U64());
      i.content = static_cast<uint32_t>(in.U64());
      i.about = static_cast<uint32_t>(in.U64());
      i.journey = static_cast<uint16_t>(in.U64());
      i.action = in.Bool();
      if (in.format() >= 9) i.role = in.Byte();
    }
    c.last_entry.resize(in.Count(2));
    for (auto& [journey, at] : c.last_entry) {
      journey = static_cast<uint32_t>(in.U64());
      at = in.I64();
    }
    c.entries = static_cast<uint32_t>(in.U64());
    c.account = static_cast<uint32_t>(in.U64());
    if (in.ok() && !Index(c.profile, c.key, static_cast<uint32_t>(id)))
      // Numbered, not named: a customer's key is personal data, and the
      // reason reaches the log.
      in.Fail("the snapshot holds customer number " + std::to_string(id) + "'s key twice");
  }
  size_t instances = in.Count(2);
  for (size_t h = 0; h < instances && in.ok(); ++h) {
    JourneyInstance& i = instances_.emplace_back();
    uint8_t state = in.Byte();
    if (state > static_cast<uint8_t>(InstanceState::kWaitingEvent)) in.Fail("an instance has an unknown state");
    i.state = static_cast<InstanceState>(state);
    i.generation = static_cast<uint32_t>(in.U64());
    if (i.state == InstanceState::kFree) continue;
    i.journey = static_cast<uint16_t>(in.Index(UINT16_MAX, "journey"));  // checked against the journeys later
    i.customer = static_cast<uint32_t>(in.Index(customers_.size(), "customer"));
    i.pc = static_cast<compiler::ir::StepIndex>(in.U64());
    i.entry = static_cast<uint32_t>(in.U64());
    i.actions = static_cast<uint32_t>(in.U64());
    i.entered = in.I64();
    i.slots.packed = static_cast<uint32_t>(in.U64());
    i.slots.resize(in.Count());
    for (compiler::eval::Value& v : i.slots) v = in.Value();
    if (in.format() < 7) continue;
    i.entered_by = in.OptionalU64().value_or(JourneyInstance::kNoInput);
    std::vector<Choice> choices = in.Choices();
    i.choices.assign(std::make_move_iterator(choices.begin()), std::make_move_iterator(choices.end()));
  }
  free_.resize(in.Count());
  for (uint32_t& h : free_) h = static_cast<uint32_t>(in.Index(instances_.size(), "instance"));
  if (!in.ok()) return;
  // Every handle a customer or the free list holds must be an instance
  // in the state it implies.
  for (const Customer& c : customers_)
    for (uint32_t h : c.instances)
      if (h >= instances_.size() || instances_[h].state == InstanceState::kFree) in.Fail("a customer holds a free instance");
  for (uint32_t h : free_)
    if (instances_[h].state != InstanceState::kFree) in.Fail("the free list holds a running instance");
  for (size_t id = 0; id < customers_.size(); ++id) {
    const Customer& c = customers_[id];
    if (c.account != UINT32_MAX && c.account >= customers_.size())
      in.Fail("customer number " + std::to_string(id) + " has an unknown account");
  }
}

}  // namespace tutti::runtime
