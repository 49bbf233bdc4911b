// Running a journey instance: each step kind, from the instance's current
// step until it waits, sleeps or ends. Errors raised by expressions become
// "error" decisions; what the instance does next is documented per step in
// docs/semantics.md.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <variant>

#include "base/check.h"
#include "compiler/eval/operators.h"
#include "runtime/engine/engine.h"
#include "runtime/engine/local_time.h"
#include "runtime/engine/stable_hash.h"

namespace tutti::runtime {

using compiler::eval::Activation;
using compiler::eval::Value;
using compiler::eval::ValueKind;
namespace ast = compiler::ast;
namespace ir = compiler::ir;

namespace {

const Value* Field(const Value& record, std::string_view name) {
  return record.is(ValueKind::kRecord) ? record.AsRecord().Find(name) : nullptr;
}

bool IsTrue(const Value& v) { return v.is(ValueKind::kBool) && v.AsBool(); }

/// A score as a double, or why it cannot be one: an error, not a number, or
/// NaN (which would otherwise never compare and so win by default).
Result<double> Score(const Value& v) {
  if (v.IsError()) return Status::Invalid(v.ErrorMessage());
  double d;
  switch (v.kind()) {
    case ValueKind::kDouble: d = v.AsDouble(); break;
    case ValueKind::kInt: d = static_cast<double>(v.AsInt()); break;
    case ValueKind::kUint: d = static_cast<double>(v.AsUint()); break;
    default: return Status::Invalid("not a number");
  }
  if (std::isnan(d)) return Status::Invalid("NaN");
  return d;
}

}  // namespace

Value Engine::Interpret(const ast::Expr& expr, const Activation& act) const {
  stdlib::ScopedHistoryView view(this);
  return compiler::eval::Evaluate(expr, act, *functions_);
}

Value Engine::Eval(const ast::Expr& expr, const Activation& act) const {
  stdlib::ScopedHistoryView view(this);
  if (const auto* native = Native()) {
    // Whether a compile is over is read before its code is looked in: a
    // function stored in between is then a miss not counted, never a
    // miss counted that was not one.
    bool settled = native->complete();
    if (const auto* entry = native->Find(&expr)) return native->Run(*entry, act);
    // A journey whose code is not compiled yet, or a retired journey's
    // expression: the native code of its version, unless that is still
    // compiling (then it is not a miss).
    for (const NativeCode* older : older_native_) {
      bool compiling = older->pending();
      if (const auto* code = older->ready()) {
        if (const auto* entry = code->Find(&expr)) return code->Run(*entry, act);
      }
      if (compiling) settled = false;
    }
    if (settled) ++interpreted_fallbacks_;
  }
  return compiler::eval::Evaluate(expr, act, *functions_);
}

void Engine::BindInstance(Activation& act, const JourneyInstance& inst, const ir::Step* step) const {
  const ir::Journey& j = *journeys_[inst.journey];
  act.Bind("now", Value(ToTimestamp(now_)));
  act.Bind(j.customer, store_->customer(inst.customer).record);
  // A waiting instance may have released its dead slots: they read as null
  // (nothing after the wait reads them).
  if (step != nullptr) {
    for (const auto& [name, slot] : step->scope) act.Bind(name, SlotValue(inst, slot));
  } else if (j.trigger) {
    act.Bind(j.trigger->binding, SlotValue(inst, j.trigger->slot));
  }
}

void Engine::SetOwner(Decision& d, const Customer& owner) const {
  d.owner_profile = profile_names_[owner.profile];
  d.owner = owner.key;
  d.owner_account = owner.account != UINT32_MAX ? store_->customer(owner.account).key : std::string();
}

Decision Engine::NewDecision(DecisionKind kind, const JourneyInstance& inst, const ir::Step& step) const {
  const ir::Journey& j = *journeys_[inst.journey];
  Decision d;
  d.kind = kind;
  d.at = now_;
  d.journey = j.name;
  d.version = j.version;
  d.version_id = version_ids_[inst.journey];
  const Customer& customer = store_->customer(inst.customer);
  d.customer = customer.key;
  SetOwner(d, customer);
  d.entry = inst.entry;
  d.step = step.id;
  d.cause = current_ ? current_->schema->name : "timer";
  if (current_) d.input = current_->input;
  d.entered_by = inst.EnteredBy();
  d.choices.assign(inst.choices.begin(), inst.choices.end());
  return d;
}

void Engine::Chose(JourneyInstance& inst, ir::StepIndex step, int32_t arm, std::vector<double> scores,
                   std::optional<uint64_t> input) {
  const ir::Step& s = journeys_[inst.journey]->steps[step];
  if (options_.analytics &&
      (s.op == ir::StepOp::kSplit || s.op == ir::StepOp::kChooseBest || s.op == ir::StepOp::kWaitEvent)) {
    // A wait's two ways out, [0] the event and [1] the timeout, count like
    // a split's arms (JourneyStats::arms).
    // Counted in all and on the day (DayStats::arms).
    JourneyStats& st = stats_[inst.journey];
    size_t slots = s.op == ir::StepOp::kWaitEvent ? 2 : s.arms.size() + 1;
    size_t taken = arm == Choice::kNoArm ? slots - 1 : static_cast<size_t>(arm);
    for (std::vector<ArmStats>* arms : {&st.arms[step], &st.Day(now_).arms[step]}) {
      arms->resize(slots);
      ++(*arms)[taken].customers;
    }
  }
  if (inst.choices.size() >= JourneyInstance::kMaxChoices) inst.choices.erase(inst.choices.begin());
  if (inst.choices.empty()) inst.choices.reserve(4);
  inst.choices.push_back(Choice{now_, step, arm, input, std::move(scores)});
}


void Engine::Error(const JourneyInstance& inst, const ir::Step& step, const std::string& message) {
  Decision d = NewDecision(DecisionKind::kError, inst, step);
  d.reason = message;
  ++stats_[inst.journey].errors;
  if (DayStats* day = Today(inst.journey)) ++day->errors;
  Emit(std::move(d));
}

std::string Engine::IdempotencyKey(JourneyInstance& inst, std::string_view extra) {
  // The hash of "NAME\x1fVERSION\x1fCUSTOMER\x1fENTRY\x1fN\x1fEXTRA" (N: the
  // instance's actions so far, this one included), fed in parts.
  const ir::Journey& j = *journeys_[inst.journey];
  using namespace stable_hash;
  char digits[24];
  auto number = [&](uint64_t h, int64_t n) {
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
    return Add(Add(h, std::string_view(digits, static_cast<size_t>(end - digits))), "\x1f");
  };
  uint64_t h = Add(Add(kStart, j.name), "\x1f");
  h = number(h, j.version);
  h = Add(Add(h, store_->customer(inst.customer).key), "\x1f");
  h = number(h, inst.entry);
  h = number(h, ++inst.actions);
  return HexDigits(stable_hash::Finish(Add(h, extra)), 16);
}

std::optional<std::string> Engine::Render(const ast::Message& message, const Activation& act, uint32_t handle,
                                          const ir::Step& step) {
  std::string out;
  for (const ast::MessagePart& part : message.parts) {
    if (!part.expr) {
      out += part.text;
      continue;
    }
    Value v = Eval(*part.expr, act);
    if (v.IsError()) {
      Error(store_->instance(handle), step,
            "in {" + ast::ToSource(*part.expr) + "} of \"" + message.Display() + "\": " + v.ErrorMessage());
      return std::nullopt;
    }
    out += MessageText(v);
  }
  return out;
}

void Engine::Sleep(uint32_t handle, Instant until) {
  JourneyInstance& inst = store_->instance(handle);
  inst.state = InstanceState::kSleeping;
  ReleaseDeadSlots(inst);
  timers_.Push(until, handle, inst.generation);
}

// A wait whose end lies past the engine's time range can never end: the
// instance stops there with an error decision, rather than going on at once.
void Engine::WaitOutOfRange(uint32_t handle, const ir::Step& s) {
  Error(store_->instance(handle), s,
        "a wait of " + std::to_string(s.millis / 86'400'000) + "d from " + FormatInstant(now_) +
            " would end after 2262-04-11, past the engine's time range; the journey stops here");
  Finish(handle, Outcome::kFailed);
}

void Engine::ReleaseDeadSlots(JourneyInstance& inst) {
  if (inst.slots.empty()) return;
  const ir::Journey& j = *journeys_[inst.journey];
  static const std::vector<ir::LiveSlot> kNone;
  const std::vector<ir::LiveSlot>& live = inst.pc == ir::kDone ? kNone : j.steps[inst.pc].live;
  auto next = live.begin();
  for (uint32_t slot = 0; slot < inst.slots.size(); ++slot) {
    while (next != live.end() && next->slot < slot) ++next;
    Value& v = inst.slots[slot];
    if (next == live.end() || next->slot != slot) {
      v = Value();
      continue;
    }
    if (next->whole || !v.is(ValueKind::kRecord) || (inst.slots.packed >> slot & 1)) continue;
    const compiler::eval::Record& record = v.AsRecord();
    if (next->fields.size() == 1 && slot < 32) {
      // One field still to be read: keep just its value (no record at
      // all); SlotValue rebuilds a one-field record when it is read.
      const Value* field = record.Find(next->fields[0]);
      auto [at, added] = packed_shapes_.try_emplace(PackedAt(inst.journey, inst.pc, slot), nullptr);
      if (added) at->second = ProjectionShape(record.shape, next->fields);
      v = field ? *field : Value();
      inst.slots.packed |= uint32_t{1} << slot;
    } else if (record.values.size() > next->fields.size()) {
      v = Project(record, next->fields);
    }
  }
  // Trailing empty slots need no storage while waiting.
  size_t used = inst.slots.size();
  while (used > 0 && inst.slots[used - 1].is(ValueKind::kNull) && !(inst.slots.packed >> (used - 1) & 1)) --used;
  inst.slots.resize(used);  // storage exactly that size
}

Value Engine::SlotValue(const JourneyInstance& inst, uint32_t slot) const {
  if (slot >= inst.slots.size()) return Value();
  if (!(inst.slots.packed >> slot & 1)) return inst.slots[slot];
  auto shape = packed_shapes_.find(std::make_tuple(inst.journey, inst.pc, slot));
  TUTTI_CHECK(shape != packed_shapes_.end(), "a slot is unpacked at the step that packed it");
  auto out = std::make_shared<compiler::eval::Record>();
  out->shape = shape->second;
  out->values = {inst.slots[slot]};
  return Value(std::shared_ptr<const compiler::eval::Record>(std::move(out)));
}

void Engine::RestoreSlots(JourneyInstance& inst) {
  for (uint32_t slot = 0; inst.slots.packed != 0 && slot < inst.slots.size(); ++slot)
    if (inst.slots.packed >> slot & 1) {
      Value unpacked = SlotValue(inst, slot);
      inst.slots[slot] = std::move(unpacked);
      inst.slots.packed &= ~(uint32_t{1} << slot);
    }
  inst.slots.packed = 0;
  size_t n = journeys_[inst.journey]->slot_names.size();
  if (inst.slots.size() < n) inst.slots.resize(n);
}

const compiler::eval::RecordShape* Engine::ProjectionShape(const compiler::eval::RecordShape* shape,
                                                           const std::vector<std::string>& fields) {
  std::string key;
  for (const std::string& f : fields) key += f + '\x1f';
  auto& projected = projections_[{shape, key}];
  if (!projected) {
    projected = std::make_unique<compiler::eval::RecordShape>();
    projected->type_name = shape->type_name;
    for (const std::string& f : shape->fields)
      if (std::binary_search(fields.begin(), fields.end(), f)) projected->fields.push_back(f);
  }
  return projected.get();
}

Value Engine::Project(const compiler::eval::Record& record, const std::vector<std::string>& fields) {
  auto out = std::make_shared<compiler::eval::Record>();
  out->shape = ProjectionShape(record.shape, fields);
  out->values.reserve(out->shape->fields.size());
  for (const std::string& f : out->shape->fields) out->values.push_back(*record.Find(f));
  return Value(std::shared_ptr<const compiler::eval::Record>(std::move(out)));
}

void Engine::Run(uint32_t handle) {
  RestoreSlots(store_->instance(handle));
  for (;;) {
    JourneyInstance& inst = store_->instance(handle);
    if (inst.pc == ir::kDone) {
      Finish(handle, Outcome::kCompleted);
      return;
    }
    const ir::Journey& j = *journeys_[inst.journey];
    const ir::Step& s = j.steps[inst.pc];
    if (options_.analytics) {
      JourneyStats& st = stats_[inst.journey];
      ++st.step_visits[inst.pc];
      DayStats& day = st.Day(now_);
      if (day.step_visits.empty()) day.step_visits.resize(st.step_visits.size());
      ++day.step_visits[inst.pc];
    }
    switch (s.op) {
      case ir::StepOp::kSend:
        if (!RunSend(handle, s)) return;  // deferred by quiet hours
        store_->instance(handle).pc = s.next;
        break;
      case ir::StepOp::kTask:
        RunTask(handle, s);
        store_->instance(handle).pc = s.next;
        break;
      case ir::StepOp::kWaitDuration: {
        auto until = After(now_, s.millis);
        if (!until) {
          WaitOutOfRange(handle, s);
          return;
        }
        inst.pc = s.next;
        Sleep(handle, *until);
        return;
      }
      case ir::StepOp::kWaitTimeOfDay: {
        const auto& w = s.source->As<ast::WaitTimeOfDayStep>();
        std::string_view zone = w.local ? TimeZoneOf(store_->customer(inst.customer).record) : std::string_view();
        auto next = NextLocalTime(now_, zone, w.time.hour * 60 + w.time.minute);
        inst.pc = s.next;
        if (!next.ok()) {
          Error(inst, s, "cannot wait until a local time: " + next.status().message());
          break;
        }
        if (*next > now_) {
          Sleep(handle, *next);
          return;
        }
        break;
      }
      case ir::StepOp::kWaitUntil: {
        Activation act;
        BindInstance(act, inst, &s);
        Value at = Eval(*s.source->As<ast::WaitUntilStep>().at, act);
        inst.pc = s.next;
        if (at.IsError()) {
          Error(inst, s, "in the time to wait until: " + at.ErrorMessage());
          break;
        }
        auto until = ToInstant(at.AsTimestamp());
        if (!until) {
          Error(inst, s, "the time to wait until is outside the years 1678 to 2261");
          break;
        }
        if (*until > now_) {
          Sleep(handle, *until);
          return;
        }
        break;
      }
      case ir::StepOp::kWaitEvent: {
        auto until = After(now_, s.millis);
        if (!until) {
          WaitOutOfRange(handle, s);
          return;
        }
        inst.state = InstanceState::kWaitingEvent;
        ReleaseDeadSlots(inst);
        timers_.Push(*until, handle, inst.generation);
        return;
      }
      case ir::StepOp::kBranch: {
        Activation act;
        BindInstance(act, inst, &s);
        ir::StepIndex target = s.next;
        int32_t taken = Choice::kNoArm;
        for (size_t i = 0; i < s.arms.size(); ++i) {
          const ir::Arm& arm = s.arms[i];
          Value v = Eval(*arm.cond, act);
          if (v.IsError()) Error(inst, s, "in a condition (taken as false): " + v.ErrorMessage());
          if (IsTrue(v)) {
            target = arm.target;
            taken = static_cast<int32_t>(i);
            break;
          }
        }
        Chose(inst, inst.pc, taken);
        inst.pc = target;
        break;
      }
      case ir::StepOp::kChooseBest: {
        Activation act;
        BindInstance(act, inst, &s);
        const ast::Expr& score = *s.source->As<ast::ChooseBestStep>().score;
        std::optional<size_t> best;
        double best_score = 0;
        std::vector<double> scores(s.arms.size(), std::nan(""));
        for (size_t i = 0; i < s.arms.size(); ++i) {
          Activation option(&act);
          option.Bind("option", Value(s.arms[i].label));
          auto score_or = Score(Eval(score, option));
          if (!score_or.ok()) {
            Error(inst, s, "scoring option '" + s.arms[i].label + "' (left out): " + score_or.status().message());
            continue;
          }
          double d = *score_or;
          scores[i] = d;
          if (!best || d > best_score) {
            best = i;
            best_score = d;
          }
        }
        // With `otherwise`, an option is acceptable when it scores 0 or more.
        if (s.source->As<ast::ChooseBestStep>().otherwise && (!best || best_score < 0)) {
          Chose(inst, inst.pc, Choice::kNoArm, std::move(scores));
          inst.pc = s.next;
          break;
        }
        Chose(inst, inst.pc, best ? static_cast<int32_t>(*best) : Choice::kNoArm, std::move(scores));
        if (!best) {
          Error(inst, s, "no option could be scored; the journey ends here");
          Finish(handle, Outcome::kFailed);
          return;
        }
        inst.pc = s.arms[*best].target;
        break;
      }
      case ir::StepOp::kSplit: {
        // A bucket in [0, 100) fixed by the journey, the split (its labels,
        // and which of the journey's splits with those labels it is), the
        // customer and the time it entered: editing the file elsewhere never
        // moves a customer to another arm, two splits draw independently,
        // and a customer who re-enters draws again.
        std::string basis = j.name;
        for (const ir::Arm& arm : s.arms) basis += '\x1f' + arm.label;
        if (s.draw > 0) basis += '\x1d' + std::to_string(s.draw);
        basis += '\x1e' + store_->customer(inst.customer).key;
        basis += '\x1d' + std::to_string(inst.entered);
        uint64_t h = StableHash(basis);
        int64_t bucket = static_cast<int64_t>(h % 100);
        int64_t upto = 0;
        ir::StepIndex target = s.arms.back().target;
        int32_t taken = static_cast<int32_t>(s.arms.size()) - 1;
        for (size_t i = 0; i < s.arms.size(); ++i) {
          upto += s.arms[i].percent;
          if (bucket < upto) {
            target = s.arms[i].target;
            taken = static_cast<int32_t>(i);
            break;
          }
        }
        Chose(inst, inst.pc, taken);
        inst.pc = target;
        break;
      }
      case ir::StepOp::kStart: {
        inst.pc = s.next;
        uint32_t customer = inst.customer;
        std::optional<uint64_t> entered_by = inst.EnteredBy();
        // The current version of the target. A retired journey's step
        // numbers journeys as its own version did: look the name up.
        std::optional<uint32_t> target;
        if (!retired_[inst.journey]) target = current_journeys_[s.journey];
        else if (int i = program_->Index(s.source->As<ast::StartStep>().journey.text); i >= 0) target = current_journeys_[i];
        if (target) Enter(*target, customer, nullptr, entered_by);
        else Error(inst, s, "journey '" + s.source->As<ast::StartStep>().journey.text + "' is no longer declared");
        break;
      }
      case ir::StepOp::kEmit:
        RunEmit(handle, s);
        store_->instance(handle).pc = s.next;
        break;
      case ir::StepOp::kAssign: {
        Activation act;
        BindInstance(act, inst, &s);
        const ast::Expr& value = s.source->kind == ast::StepKind::kLet ? *s.source->As<ast::LetStep>().value
                                                                       : *s.source->As<ast::SetStep>().value;
        Value v = Eval(value, act);
        if (v.IsError()) Error(inst, s, "in the value assigned: " + v.ErrorMessage());
        inst.slots[s.slot] = std::move(v);
        inst.pc = s.next;
        break;
      }
      case ir::StepOp::kEnd: Finish(handle, Outcome::kCompleted); return;
    }
  }
}

bool Engine::RunSend(uint32_t handle, const ir::Step& s) {
  JourneyInstance& inst = store_->instance(handle);
  const ir::Journey& j = *journeys_[inst.journey];
  const auto& st = s.source->As<ast::SendStep>();
  Activation act;
  BindInstance(act, inst, &s);
  uint32_t recipient = inst.customer;
  if (st.recipient) {
    Value to = Eval(*st.recipient, act);
    std::optional<uint32_t> id = to.IsError() ? std::nullopt : CustomerOf(to);
    if (!id) {
      Error(inst, s, to.IsError() ? "in the recipient: " + to.ErrorMessage() : "the recipient is not a known profile");
      return true;
    }
    recipient = *id;
  }
  const Customer& to = store_->customer(recipient);
  std::optional<std::string> content = Render(st.message, act, handle, s);
  if (!content) return true;
  const ir::Template* tmpl = s.content;
  if (tmpl == nullptr) {  // a computed id: looked up by name
    auto it = program_->templates.find(*content);
    if (it != program_->templates.end() && it->second.channel == st.channel.text) tmpl = &it->second;
  }
  if (!Approved(handle, s, tmpl, *content, to)) return true;
  auto hold = policy_->QuietHours(st.channel.text, TimeZoneOf(to.record), now_);
  if (!hold.ok()) {
    Error(inst, s, "quiet hours cannot be checked: " + hold.status().message() + "; sent without the check");
  } else if (const std::optional<Hold>& h = *hold) {
    Decision d = NewDecision(DecisionKind::kDeferred, inst, s);
    SetOwner(d, to);
    d.channel = st.channel.text;
    d.action = "send";
    d.content = *content;
    d.recipient = to.key;
    d.until = h->until;
    d.policy = h->rule->policy;
    d.rule = h->rule->text;
    d.rule_at = h->rule->at;
    d.reason = "quiet hours for " + to.key + "; sends at " + FormatInstant(h->until);
    ++stats_[inst.journey].deferred;
    if (DayStats* day = Today(inst.journey)) ++day->deferred;
    Emit(std::move(d));
    Sleep(handle, h->until);
    return false;
  }
  std::vector<std::pair<std::string, Value>> vars;
  for (const ast::FieldInit& f : st.vars) {
    Value v = Eval(*f.value, act);
    if (v.IsError()) {
      Error(inst, s, "in 'with " + f.name.text + "': " + v.ErrorMessage() + "; not sent");
      return true;
    }
    vars.emplace_back(f.name.text, std::move(v));
  }
  std::optional<RenderedMessage> message;
  if (tmpl != nullptr) {
    // The holes see the step's names and the `with` fields (which shadow).
    Activation holes(&act);
    for (const auto& [name, value] : vars) holes.Bind(name, value);
    const Value* locale = Field(to.record, "locale");
    auto rendered = RenderTemplate(*tmpl->decl, locale && locale->is(ValueKind::kString) ? locale->AsString() : "",
                                   [&](const ast::Expr& e) { return Interpret(e, holes); });
    if (!rendered.ok()) {
      Error(inst, s, rendered.status().message() + "; not sent");
      return true;
    }
    message = std::move(*rendered);
  }
  // A send on a task channel gives its recipient, a colleague, a task.
  auto channel = program_->channels.find(st.channel.text);
  uint8_t role = channel != program_->channels.end() && channel->second.kind == ir::ChannelKind::kTask
                     ? AssigneeRole(to.key, to.record, st.channel.text)
                     : 0;
  // Built where it waits for the instant's verdict, not moved there.
  PendingSend& p = pending_.emplace_back(PendingSend{
      SendRequest{now_, inst.journey, j.priority, names_.Intern(st.channel.text), ContentFingerprint(*content),
                  recipient, {}, role},
      NewDecision(DecisionKind::kAction, inst, s), pending_seq_++});
  p.decision.channel = st.channel.text;
  p.decision.action = "send";
  p.decision.content = std::move(*content);
  p.decision.recipient = to.key;
  p.decision.vars = std::move(vars);
  if (tmpl != nullptr) p.decision.approval = tmpl->approval;
  p.decision.message = std::move(message);
  p.decision.idempotency_key = IdempotencyKey(store_->instance(handle), "");
  return true;
}

// Content whose approval has run out, or that has none on a channel whose
// policy requires one, is held back here: at the send, since time passes
// between the check of the program and the moment the message would go.
bool Engine::Approved(uint32_t handle, const ir::Step& s, const ir::Template* tmpl, const std::string& id,
                      const Customer& to) {
  const auto& st = s.source->As<ast::SendStep>();
  // Nearly every send passes: the decision that holds one back is built
  // only once it is known to be needed.
  bool expired = tmpl != nullptr && tmpl->last_day && now_ / kNanosPerDay > *tmpl->last_day;
  const ir::PolicyRule* rule = expired ? nullptr : policy_->ApprovalRule(st.channel.text);
  if (!expired && (rule == nullptr || (tmpl != nullptr && !tmpl->approval.empty()))) return true;
  Decision d = NewDecision(DecisionKind::kSuppressed, store_->instance(handle), s);
  SetOwner(d, to);
  if (expired) {
    d.rule = tmpl->approved_text;
    d.rule_at = tmpl->at;
    d.reason = "the approval " + tmpl->approval + " of template \"" + id + "\" expired at the end of " +
               tmpl->decl->expires->text;
  } else {
    d.policy = rule->policy;
    d.rule = rule->text;
    d.rule_at = rule->at;
    d.reason = tmpl == nullptr ? "\"" + id + "\" is not a declared template, and '" + st.channel.text + "' sends approved content only"
                               : "template \"" + id + "\" has no approval, and '" + st.channel.text + "' sends approved content only";
  }
  d.channel = st.channel.text;
  d.action = "send";
  d.content = id;
  d.recipient = to.key;
  if (DayStats* day = Today(store_->instance(handle).journey)) {
    ++stats_[store_->instance(handle).journey].suppressed[d.rule];
    ++day->suppressed[d.rule];
  }
  Emit(std::move(d));
  return false;
}

uint8_t Engine::AssigneeRole(const std::string& key, const Value& record, std::string_view channel) {
  const Value* found = record.is(ValueKind::kRecord) ? &record : nullptr;
  auto look_up = [&](std::string_view profile) {
    if (auto p = ProfileId(profile))
      if (auto id = store_->FindCustomer(*p, key)) found = &store_->customer(*id).record;
  };
  if (found == nullptr && !channel.empty())
    if (auto ch = program_->channels.find(std::string(channel)); ch != program_->channels.end())
      look_up(ch->second.recipient);
  if (found == nullptr) {
    // As the work queues find a colleague: by the profile task_completed
    // is keyed by (the stdlib's staff).
    const Schema* done = schemas_->FindEvent(std::string(kTaskCompleted));
    look_up(done ? std::string_view(done->key_profile) : std::string_view("staff"));
  }
  if (found == nullptr || !found->is(ValueKind::kRecord)) return 0;
  const Value* role = found->AsRecord().Find("role");
  if (role == nullptr || !role->is(ValueKind::kString) || role->AsString().empty()) return 0;
  for (size_t r = 0; r < roles_.size(); ++r)
    if (names_.Get(roles_[r]) == role->AsString()) return static_cast<uint8_t>(r + 1);
  if (roles_.size() >= kMaxRoles) return 0;
  roles_.push_back(names_.Intern(role->AsString()));
  return static_cast<uint8_t>(roles_.size());
}

void Engine::RunTask(uint32_t handle, const ir::Step& s) {
  const auto& st = s.source->As<ast::TaskStep>();
  const char* kind = st.notify ? "notify" : "task";
  Activation act;
  BindInstance(act, store_->instance(handle), &s);
  std::optional<Instant> due;
  if (st.due && !(due = After(now_, st.due->value.millis))) {
    Error(store_->instance(handle), s, "the task would be due after 2262-04-11, past the engine's time range");
    return;
  }

  // Who: an expression, or a route over a profile's records.
  std::vector<std::pair<std::string, Value>> assignees;  // key, record (or null)
  if (!st.route_profile) {
    Value v = Eval(*st.assignee, act);
    if (v.IsError()) {
      Error(store_->instance(handle), s, "in the assignee: " + v.ErrorMessage());
      return;
    }
    if (v.is(ValueKind::kRecord)) {
      auto id = CustomerOf(v);
      assignees.emplace_back(id ? store_->customer(*id).key : MessageText(v), v);
    } else {
      assignees.emplace_back(MessageText(v), Value());
    }
  } else {
    const std::string& profile = st.route_profile->text;
    std::optional<double> best_score;
    for (const auto& [key, id] : store_->CustomersOf(ProfileIndex(profile))) {
      const Value& record = store_->customer(id).record;
      if (record.is(ValueKind::kNull)) continue;
      Activation candidate(&act);
      candidate.Bind(profile, record);
      Value ok = Eval(*st.route_cond, candidate);
      if (ok.IsError()) {
        Error(store_->instance(handle), s, "routing to " + profile + " '" + key + "': " + ok.ErrorMessage());
        continue;
      }
      if (!IsTrue(ok)) continue;
      if (!st.route_score) {
        // Without `best by`: a task goes to the first match in key order, a
        // notification to every match.
        assignees.emplace_back(key, record);
        if (!st.notify) break;
        continue;
      }
      auto score_or = Score(Eval(*st.route_score, candidate));
      if (!score_or.ok()) {
        Error(store_->instance(handle), s, "scoring " + profile + " '" + key + "' (left out): " +
                                               score_or.status().message());
        continue;
      }
      double d = *score_or;
      if (!best_score || d > *best_score) {
        best_score = d;
        assignees.assign(1, {key, record});
      }
    }
    if (assignees.empty()) {
      ++stats_[store_->instance(handle).journey].unassigned;
      if (DayStats* day = Today(store_->instance(handle).journey)) ++day->unassigned;
      Decision d = NewDecision(DecisionKind::kUnassigned, store_->instance(handle), s);
      d.action = kind;
      d.reason = "no " + profile + " matched '" + compiler::ast::ToSource(*st.route_cond) + "'";
      Emit(std::move(d));
      return;
    }
  }
  for (const auto& [key, record] : assignees) {
    std::optional<std::string> text;
    if (st.route_profile) {
      Activation candidate(&act);
      candidate.Bind(st.route_profile->text, record);
      text = Render(st.message, candidate, handle, s);
    } else {
      text = Render(st.message, act, handle, s);
    }
    if (!text) continue;
    JourneyInstance& inst = store_->instance(handle);
    Decision d = NewDecision(DecisionKind::kAction, inst, s);
    d.action = kind;
    if (st.channel) d.channel = st.channel->text;
    d.content = std::move(*text);
    d.recipient = key;
    d.due = due;
    d.idempotency_key = IdempotencyKey(inst, key);
    // A task the contact policy covers is a contact with the journey's
    // customer: it waits, like a send, for the instant's verdict.
    uint32_t channel = names_.Intern(st.channel ? st.channel->text : kind);
    uint8_t role = st.notify ? 0 : AssigneeRole(key, record, st.channel ? std::string_view(st.channel->text) : "");
    if (!st.notify && policy_->Governs(channel)) {
      const ir::Journey& j = *journeys_[inst.journey];
      pending_.push_back(PendingSend{
          SendRequest{now_, inst.journey, j.priority, channel, ContentFingerprint(d.content), inst.customer, {}, role},
          std::move(d), pending_seq_++});
      continue;
    }
    if (DayStats* day = Today(inst.journey)) {
      ++stats_[inst.journey].actions[names_.Get(channel)];
      ++day->actions[names_.Get(channel)];
    }
    AddToHistory(inst.customer, Interaction{now_, channel, 0, 0, static_cast<uint16_t>(inst.journey + 1), true, role});
    Emit(std::move(d));
  }
}

bool Engine::RunEmit(uint32_t handle, const ir::Step& s) {
  JourneyInstance& inst = store_->instance(handle);
  const auto& st = s.source->As<ast::EmitStep>();
  const Schema* schema = schemas_->FindEvent(st.event.text);
  TUTTI_CHECK(schema, "a checked 'emit' names an event");
  int depth = current_ ? current_->depth + 1 : 1;
  if (depth > options_.max_cascade_depth) {
    Error(inst, s, "'" + st.event.text + "' not emitted: events emitted by journeys cascaded more than " +
                       std::to_string(options_.max_cascade_depth) + " levels deep");
    return false;
  }
  Activation act;
  BindInstance(act, inst, &s);
  auto rec = std::make_shared<compiler::eval::Record>();
  rec->shape = &schema->shape;
  rec->values.resize(schema->fields.size());
  rec->values[schema->at_slot] = Value(ToTimestamp(now_));
  for (const ast::FieldInit& f : st.fields) {
    Value v = Eval(*f.value, act);
    if (v.IsError()) {
      Error(inst, s, "'" + st.event.text + "' not emitted: in field '" + f.name.text + "': " + v.ErrorMessage());
      return false;
    }
    auto slot = schema->Slot(f.name.text);
    TUTTI_CHECK(slot, "a checked 'emit' names the event's fields");
    rec->values[*slot] = std::move(v);
  }
  Event e;
  e.schema = schema;
  e.key = KeyText(rec->values[schema->key_slot]);
  const Value& at_value = rec->values[schema->at_slot];
  auto at = at_value.is(ValueKind::kTimestamp) ? ToInstant(at_value.AsTimestamp()) : std::optional<Instant>();
  e.at = at ? std::max(*at, now_) : now_;
  e.depth = depth;
  e.input = current_ ? current_->input : inst.EnteredBy();
  e.record = Value(std::shared_ptr<const compiler::eval::Record>(std::move(rec)));
  if (e.at > now_) {
    Instant when = e.at;
    delayed_.emplace(std::make_pair(when, delayed_seq_++), std::move(e));
  } else {
    cascade_.push_back(std::move(e));
  }
  return true;
}

}  // namespace tutti::runtime
