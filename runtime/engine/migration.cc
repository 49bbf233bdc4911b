// Declared migrations (docs/semantics.md, "A new version of the
// journeys"): a changed journey's new version may say, with `migrate`,
// that instances of the running version resting at one of its steps move
// to a labelled step of the new one, instead of finishing on the old.
//
// An instance rests between two inputs in one of three ways, and its step
// index says where it goes on from:
//   after a timed wait (`wait 3d`, `wait until ...`): sleeping, at the
//     step after the wait;
//   at a send held by quiet hours: sleeping, at the send;
//   at `wait up to D for EVENT`: waiting for the event, at the wait.
// So a step names a resting point (the step index, and whether the
// instance waits for an event), and a migration maps the running
// version's resting point to the new version's. An instance that moves
// keeps its timer (it wakes when it would have), its entry and action
// counts (so its idempotency keys go on), and its variables by name: the
// new version may read there only variables the instance holds, of the
// same type, with the fields it reads kept. Anything else refuses the
// reload, naming the journey, the steps and the variable; except a step
// that only an earlier, retired version has (a line left from the reload
// that moved its instances): that is a warning, as nothing rests there.

#include <algorithm>

#include "base/check.h"
#include "runtime/engine/engine.h"

namespace tutti::runtime {

using compiler::eval::Value;
namespace ir = compiler::ir;

namespace {

struct RestingPoint {
  ir::StepIndex pc = ir::kDone;
  bool for_event = false;  // waiting for an event (else sleeping)
};

/// Where an instance rests when it stops at step `s` of `j`; nullopt when
/// no instance stops there.
std::optional<RestingPoint> RestingPointOf(const ir::Journey& j, ir::StepIndex s) {
  const ir::Step& step = j.steps[s];
  switch (step.op) {
    case ir::StepOp::kWaitDuration:
    case ir::StepOp::kWaitTimeOfDay:
    case ir::StepOp::kWaitUntil: return RestingPoint{step.next, false};
    case ir::StepOp::kSend: return RestingPoint{s, false};
    case ir::StepOp::kWaitEvent: return RestingPoint{s, true};
    default: return std::nullopt;
  }
}

/// How a migration names a step, for messages: 'label' or step id.
std::string StepName(const ir::Journey& j, ir::StepIndex s) {
  return j.steps[s].label.empty() ? j.steps[s].id : "'" + j.steps[s].label + "'";
}

const std::vector<std::pair<std::string, uint32_t>>& ScopeAt(const ir::Journey& j, ir::StepIndex pc) {
  static const std::vector<std::pair<std::string, uint32_t>> kNone;
  return pc == ir::kDone ? kNone : j.steps[pc].scope;
}

const ir::LiveSlot* LiveAt(const ir::Journey& j, ir::StepIndex pc, uint32_t slot) {
  if (pc == ir::kDone) return nullptr;
  for (const ir::LiveSlot& l : j.steps[pc].live)
    if (l.slot == slot) return &l;
  return nullptr;
}

/// Why instances resting at `from` of `old` cannot go on at `to` of
/// `now`, or empty: every variable `now` reads from `to` on (and has bound
/// before it) must be held at `from`, as the same type, with the fields
/// read.
std::string VariablesDiffer(const ir::Journey& old, RestingPoint from, const ir::Journey& now, RestingPoint to) {
  if (to.pc == ir::kDone) return "";
  for (const ir::LiveSlot& need : now.steps[to.pc].live) {
    const auto& scope = ScopeAt(now, to.pc);
    auto bound = std::find_if(scope.begin(), scope.end(), [&](const auto& e) { return e.second == need.slot; });
    if (bound == scope.end()) continue;  // bound later (the event waited for)
    const std::string& name = bound->first;
    const auto& old_scope = ScopeAt(old, from.pc);
    auto held = std::find_if(old_scope.rbegin(), old_scope.rend(), [&](const auto& e) { return e.first == name; });
    if (held == old_scope.rend()) return "the new version reads '" + name + "' there, which they do not have";
    const std::string& old_type = old.slot_types[held->second];
    const std::string& new_type = now.slot_types[need.slot];
    if (old_type != new_type)
      return "'" + name + "' is of type " + old_type + " there and of type " + new_type + " in the new version";
    const ir::LiveSlot* kept = LiveAt(old, from.pc, held->second);
    bool enough = kept != nullptr &&
                  (kept->whole || (!need.whole && std::includes(kept->fields.begin(), kept->fields.end(),
                                                                need.fields.begin(), need.fields.end())));
    if (!enough)
      return "the new version reads " + (need.whole ? "'" + name + "'" : "fields of '" + name + "'") +
             " there, which the running version no longer keeps at that point";
  }
  return "";
}

}  // namespace

std::string Engine::EarlierVersionsWith(const std::string& journey, uint32_t running, const ir::Migration& m) const {
  std::string versions;
  for (uint32_t e = 0; e < journeys_.size(); ++e) {
    const ir::Journey& j = *journeys_[e];
    if (e == running || j.name != journey) continue;
    bool has = std::any_of(j.steps.begin(), j.steps.end(),
                           [&](const ir::Step& s) { return m.from_step_id ? s.id == m.from : s.label == m.from; });
    if (has) versions += (versions.empty() ? "version " : ", ") + std::to_string(j.version);
  }
  return versions;
}

Result<std::vector<Engine::Move>> Engine::PlanMigrations(const ir::Program& program,
                                                         std::vector<std::string>* warnings) const {
  std::vector<Move> moves;
  for (uint32_t i = 0; i < program.journeys.size(); ++i) {
    const ir::Journey& now = program.journeys[i];
    if (now.migrations.empty()) continue;
    auto running = std::find_if(current_journeys_.begin(), current_journeys_.end(),
                                [&](uint32_t e) { return journeys_[e]->name == now.name; });
    // Nothing to move: a new journey, or the same declaration (whose
    // instances carry over as they are).
    if (running == current_journeys_.end() || journeys_[*running]->DeclarationText() == now.DeclarationText())
      continue;
    const ir::Journey& old = *journeys_[*running];
    std::string where = "journey '" + now.name + "': ";
    if (old.customer != now.customer)
      return Status::Conflict(where + "'migrate' cannot move instances for a " + old.customer + " into a journey for a " + now.customer);
    std::vector<Move> mine;
    for (const ir::Migration& m : now.migrations) {
      auto found = std::find_if(old.steps.begin(), old.steps.end(), [&](const ir::Step& s) {
        return m.from_step_id ? s.id == m.from : s.label == m.from;
      });
      std::string from_text = m.from_step_id ? m.from : "'" + m.from + "'";
      if (found == old.steps.end()) {
        // Left from an earlier reload (the version it moved instances
        // from is retired): nothing of the running version rests there.
        if (std::string earlier = EarlierVersionsWith(now.name, *running, m); !earlier.empty()) {
          if (warnings)
            warnings->push_back(where + "'migrate' names " + from_text + ", a step of an earlier version (" + earlier +
                                ") that the running version " + std::to_string(old.version) +
                                " does not have: nothing moves from it, and instances still on the earlier version "
                                "finish there; the line can go");
          continue;
        }
        std::string known;
        for (ir::StepIndex s = 0; s < old.steps.size(); ++s)
          if (RestingPointOf(old, s)) known += (known.empty() ? "" : ", ") + StepName(old, s);
        return Status::Conflict(where + "'migrate' names " + from_text + ", which the running version does not have (its waits and "
               "sends: " + (known.empty() ? "none" : known) + ")");
      }
      auto from = RestingPointOf(old, static_cast<ir::StepIndex>(found - old.steps.begin()));
      if (!from) return Status::Conflict(where + "'migrate' names " + from_text + ", which is not a wait or a send: no instance rests there");
      auto to = RestingPointOf(now, m.to);
      TUTTI_CHECK(to, "the checker lets only waits and sends be labelled");
      std::string move_text = "instances at " + from_text + " cannot move to " + StepName(now, m.to) + ": ";
      if (from->for_event != to->for_event)
        return Status::Conflict(where + move_text + "one waits for an event, the other for time to pass");
      if (from->for_event && found->pattern->event != now.steps[m.to].pattern->event)
        return Status::Conflict(where + move_text + "they wait for '" + found->pattern->event + "', the new step for '" +
               now.steps[m.to].pattern->event + "'");
      if (std::string why = VariablesDiffer(old, *from, now, *to); !why.empty()) return Status::Conflict(where + move_text + why);
      for (const Move& other : mine)
        if (other.from_rest == from->pc && other.for_event == from->for_event && other.to_rest != to->pc)
          return Status::Conflict(where + "'migrate' sends instances resting at the same point (" + from_text +
                 ") to two different steps");
      mine.push_back({*running, from->pc, from->for_event, i, to->pc});
    }
    moves.insert(moves.end(), mine.begin(), mine.end());
  }
  return moves;
}

size_t Engine::Migrate(const std::vector<Move>& moves, const std::vector<uint32_t>& next) {
  if (moves.empty()) return 0;
  size_t moved = 0;
  for (uint32_t c = 0; c < store_->customer_count(); ++c) {
    for (uint32_t handle : store_->customer(c).instances) {
      JourneyInstance& inst = store_->instance(handle);
      bool for_event = inst.state == InstanceState::kWaitingEvent;
      if (inst.state != InstanceState::kSleeping && !for_event) continue;
      auto move = std::find_if(moves.begin(), moves.end(), [&](const Move& m) {
        return m.from_journey == inst.journey && m.from_rest == inst.pc && m.for_event == for_event;
      });
      if (move == moves.end()) continue;
      const ir::Journey& old = *journeys_[inst.journey];
      uint32_t to = next[move->to_journey];
      const ir::Journey& now = *journeys_[to];
      RestoreSlots(inst);  // while still on the old step, whose packed shapes it used
      InstanceSlots slots;
      slots.resize(now.slot_names.size());
      const auto& old_scope = ScopeAt(old, inst.pc);
      for (const auto& bound : ScopeAt(now, move->to_rest)) {
        auto held = std::find_if(old_scope.rbegin(), old_scope.rend(),
                                 [&](const auto& e) { return e.first == bound.first; });
        if (held != old_scope.rend() && held->second < inst.slots.size()) slots[bound.second] = inst.slots[held->second];
      }
      inst.journey = static_cast<uint16_t>(to);
      inst.pc = move->to_rest;
      inst.choices.clear();  // made at steps of the version it left
      inst.slots = std::move(slots);
      ReleaseDeadSlots(inst);
      ++moved;
    }
  }
  return moved;
}

}  // namespace tutti::runtime
