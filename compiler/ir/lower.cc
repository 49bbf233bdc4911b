#include "compiler/ir/lower.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "base/check.h"
#include "compiler/ast/conditions.h"
#include "compiler/check/templates.h"
#include "compiler/source/source.h"

namespace tutti::compiler::ir {

bool PolicyRule::Covers(const std::string& channel) const { return any_channel || Lists(channel); }

bool PolicyRule::Lists(std::string_view channel) const {
  return std::find(channels.begin(), channels.end(), channel) != channels.end();
}

const Journey* Program::Find(std::string_view name) const {
  int i = Index(name);
  return i < 0 ? nullptr : &journeys[i];
}

int Program::Index(std::string_view name) const {
  auto it = std::lower_bound(journeys.begin(), journeys.end(), name,
                             [](const Journey& j, std::string_view n) { return j.name < n; });
  return it != journeys.end() && it->name == name ? static_cast<int>(it - journeys.begin()) : -1;
}

namespace {

using Scope = std::vector<std::pair<std::string, uint32_t>>;

/// A reference to a step target still to be filled in: the `next`, an arm,
/// or a wait's event/timeout exit of step `step`, or the journey's entry.
struct Ref {
  enum Field { kNext, kArm, kOnEvent, kOnTimeout, kEntry } field;
  StepIndex step = 0;
  size_t arm = 0;
};

// A policy clause as its author wrote it, on one line: runs of spaces,
// line breaks and comments become one space; a trailing ';' goes.
std::string AsWritten(std::string_view clause) {
  std::string out;
  for (size_t i = 0; i < clause.size(); ++i) {
    char c = clause[i];
    if (c == '/' && i + 1 < clause.size() && (clause[i + 1] == '/' || clause[i + 1] == '*')) {
      size_t end = clause[i + 1] == '/' ? clause.find('\n', i) : clause.find("*/", i + 2);
      i = end == std::string_view::npos ? clause.size() : clause[i + 1] == '/' ? end - 1 : end + 1;
      c = ' ';
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  return out;
}

// Where a rule is declared, for decisions: the stdlib's files as an import
// names them ("std/policy.tutti"), so the text is the same on every machine.
std::string ShownPath(const std::string& path, const std::string& stdlib_dir) {
  if (!stdlib_dir.empty()) {
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::weakly_canonical(stdlib_dir, ec);
    std::filesystem::path file = std::filesystem::weakly_canonical(path, ec);
    std::filesystem::path rel = file.lexically_relative(dir);
    if (!ec && !rel.empty() && rel.native().rfind("..", 0) != 0) return "std/" + rel.string();
  }
  return path;
}

class Lowerer {
 public:
  Lowerer(const compiler::Program& program, const std::map<const ast::Expr*, Type>& types) : types_(types) {
    for (const auto& file : program.files) {
      if (!file->ast) continue;
      for (const auto& e : file->ast->events) events_.emplace(e.name.text, &e);
      for (const auto& p : file->ast->profiles) profiles_.emplace(p.name.text, &p);
      for (const auto& j : file->ast->journeys) decls_.emplace(j.name.text, std::make_pair(&j, static_cast<const Source*>(file->source.get())));
      for (const auto& c : file->ast->channels) LowerChannel(c);
      for (const auto& p : file->ast->policies) LowerPolicy(p, *file->source, program.stdlib_dir);
      for (const auto& t : file->ast->templates) LowerTemplate(t, *file->source, program.stdlib_dir);
    }
    for (const auto& [name, e] : events_) out_.event_keys[name] = {e->key_profile.text, e->KeyFieldName().text};
    for (const auto& [name, p] : profiles_) out_.profile_keys[name] = KeyField(name);
  }

  Program Run() {
    // Journeys are numbered by name, so `start` can name its target's index.
    for (const auto& [name, decl] : decls_) {
      Journey j;
      j.name = name;
      j.decl = decl.first;
      j.source = decl.second;
      out_.journeys.push_back(std::move(j));
    }
    for (Journey& j : out_.journeys) LowerJourney(j, decls_.at(j.name).second);
    return std::move(out_);
  }

 private:
  std::string KeyField(const std::string& profile) const {
    auto it = profiles_.find(profile);
    if (it == profiles_.end()) return "id";
    for (const auto& f : it->second->fields)
      if (f.key) return f.name.text;
    return "id";
  }

  void LowerChannel(const ast::ChannelDecl& c) {
    Channel ch;
    ch.name = c.name.text;
    std::string kind = c.kind ? c.kind->text : "message";
    ch.kind = kind == "task" ? ChannelKind::kTask
              : kind == "case" ? ChannelKind::kCase
              : kind == "webhook" ? ChannelKind::kWebhook
                                  : ChannelKind::kMessage;
    if (c.recipient) ch.recipient = c.recipient->text;
    if (c.consent) ch.consent = c.consent->text;
    out_.channels.emplace(ch.name, std::move(ch));
  }

  void LowerPolicy(const ast::PolicyDecl& p, const Source& source, const std::string& stdlib_dir) {
    for (const ast::PolicyClause& c : p.clauses) {
      PolicyRule r;
      r.kind = c.kind;
      r.policy = p.name.text;
      if (c.channels) {
        r.any_channel = c.channels->any;
        for (const auto& n : c.channels->channels) r.channels.push_back(n.text);
      }
      r.count = c.count;
      if (c.window) r.window_millis = c.window->value.millis;
      r.local = c.local;
      r.from_minute = c.from.hour * 60 + c.from.minute;
      r.until_minute = c.until.hour * 60 + c.until.minute;
      r.text = AsWritten(source.text().substr(c.range.begin, c.range.end - c.range.begin));
      LineColumn lc = source.Locate(c.range.begin);
      r.at = ShownPath(source.path(), stdlib_dir) + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.column);
      out_.rules.push_back(std::move(r));
    }
  }

  void LowerTemplate(const ast::TemplateDecl& t, const Source& source, const std::string& stdlib_dir) {
    Template out;
    out.decl = &t;
    out.id = t.name.text;
    out.channel = t.channel.text;
    if (t.approval) {
      out.approval = t.approval->text;
      out.approved_text = AsWritten(source.text().substr(t.approval_range.begin, t.approval_range.end - t.approval_range.begin));
    }
    if (t.expires) out.last_day = ParseApprovalDate(t.expires->text);
    LineColumn lc = source.Locate(t.range.begin);
    out.at = ShownPath(source.path(), stdlib_dir) + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.column);
    out_.templates.emplace(out.id, std::move(out));
  }

  std::string CustomerOf(const ast::JourneyDecl& j) const {
    if (!j.audiences.empty()) return j.audiences[0].profile.text;
    if (j.customer) return j.customer->text;
    TUTTI_CHECK(!j.triggers.empty(), "a checked journey has a trigger or a 'for'");
    return events_.at(j.triggers[0].event.text)->key_profile.text;
  }

  uint32_t NewSlot(Journey& j, const std::string& name, const Type& type) {
    j.slot_names.push_back(name);
    j.slot_types.push_back(type.ToString());
    return static_cast<uint32_t>(j.slot_names.size() - 1);
  }

  Pattern LowerPattern(Journey& j, const ast::EventPattern& p, bool needs_slot) {
    Pattern out;
    out.event = p.event.text;
    out.binding = p.BoundName().text;
    out.cond = p.cond.get();
    if (needs_slot) out.slot = NewSlot(j, out.binding, Type::Event(out.event));
    auto ev = events_.find(out.event);
    if (ev != events_.end() && ev->second->key_profile.text != j.customer) {
      auto eq = ast::FindEquality(out.cond, out.binding, "", j.customer, KeyField(j.customer));
      if (eq) out.customer_field = eq->a_field;
    }
    return out;
  }

  void LowerJourney(Journey& j, const Source* source) {
    const ast::JourneyDecl& d = *j.decl;
    source_ = source;
    ids_.clear();
    j.priority = d.priority;
    j.version = d.version;
    j.reentry = d.reentry == ast::ReentryKind::kNever   ? Reentry::kNever
                : d.reentry == ast::ReentryKind::kAfter ? Reentry::kAfter
                                                        : Reentry::kAlways;
    if (d.reentry_after) j.reentry_after_millis = d.reentry_after->value.millis;
    j.customer = CustomerOf(d);
    Scope scope;
    if (!d.triggers.empty()) {
      j.trigger = LowerPattern(j, d.triggers[0], true);
      j.trigger->customer_field.clear();  // a trigger starts the journey; it is not routed
      j.trigger->reads_customer = d.audiences.empty() && j.trigger->binding != j.customer &&
                                  ast::ReadsName(j.trigger->cond, j.customer);
      scope.emplace_back(j.trigger->binding, j.trigger->slot);
    }
    if (!d.audiences.empty()) {
      const ast::Audience& a = d.audiences[0];
      Audience out;
      out.profile = a.profile.text;
      out.cond = a.cond.get();
      if (j.trigger) {
        auto eq = ast::FindEquality(out.cond, out.profile, "", j.trigger->binding, "");
        if (eq) {
          out.profile_field = eq->a_field;
          out.event_field = eq->b_field;
        }
      }
      j.audience = std::move(out);
    }
    for (const ast::ExitCriterion& e : d.exits) j.exits.push_back({LowerPattern(j, e.pattern, false), e.goal});
    journey_ = &j;
    std::vector<Ref> outs = LowerBlock(d.steps, {Ref{Ref::kEntry}}, scope);
    Patch(outs, kDone);
    ComputeLiveness(j);
    for (const ast::Migration& m : d.migrations) {
      auto to = std::find_if(j.steps.begin(), j.steps.end(),
                             [&](const Step& s) { return s.label == m.Target().text; });
      TUTTI_CHECK(to != j.steps.end(), "a checked 'migrate' names a label of its journey");
      j.migrations.push_back({m.from.text, m.from_step_id, static_cast<StepIndex>(to - j.steps.begin())});
    }
  }

  /// What is read of each slot: absent, some fields, or (nullopt) all.
  using Reads = std::map<uint32_t, std::optional<std::set<std::string>>>;

  static void Merge(Reads& into, const Reads& from) {
    for (const auto& [slot, fields] : from) {
      auto [it, added] = into.emplace(slot, fields);
      if (added || !it->second) continue;
      if (!fields) it->second.reset();
      else it->second->insert(fields->begin(), fields->end());
    }
  }

  /// Step::live for every step. Every edge of a journey goes forward (a
  /// block is laid out before what follows it and nothing loops), so one
  /// pass from the last step to the first suffices.
  void ComputeLiveness(Journey& j) {
    Reads always;
    if (j.trigger) {
      Scope trigger_scope{{j.trigger->binding, j.trigger->slot}};
      for (const Exit& e : j.exits) Uses(e.pattern.cond, trigger_scope, always);
    }
    std::vector<Reads> live(j.steps.size());
    for (size_t i = j.steps.size(); i-- > 0;) {
      Step& s = j.steps[i];
      Reads in = always;
      StepUses(s, in);
      auto add = [&](StepIndex t) {
        if (t != kDone) Merge(in, live[t]);
      };
      add(s.next);
      add(s.on_event);
      add(s.on_timeout);
      for (const Arm& a : s.arms) add(a.target);
      s.live.clear();
      for (const auto& [slot, fields] : in) {
        LiveSlot l;
        l.slot = slot;
        l.whole = !fields.has_value();
        if (fields) l.fields.assign(fields->begin(), fields->end());
        s.live.push_back(std::move(l));
      }
      live[i] = std::move(in);
    }
  }

  /// The slot a name in `scope` refers to, if any.
  static std::optional<uint32_t> SlotOf(const std::string& name, const Scope& scope) {
    for (auto it = scope.rbegin(); it != scope.rend(); ++it)
      if (it->first == name) return it->second;
    return std::nullopt;
  }

  /// What `e` reads of the slots named in `scope`: `x.f` (and `has(x.f)`)
  /// reads field f of x; any other use of `x` reads all of it.
  static void Uses(const ast::Expr* e, const Scope& scope, Reads& out) {
    if (e == nullptr) return;
    if (e->kind == ast::ExprKind::kSelect && e->target->kind == ast::ExprKind::kIdent) {
      if (auto slot = SlotOf(e->target->name.text, scope)) {
        Merge(out, Reads{{*slot, std::set<std::string>{e->name.text}}});
        return;
      }
    }
    if (e->kind == ast::ExprKind::kIdent) {
      if (auto slot = SlotOf(e->name.text, scope)) Merge(out, Reads{{*slot, std::nullopt}});
    }
    Uses(e->target.get(), scope, out);
    for (const auto& a : e->args) Uses(a.get(), scope, out);
  }

  static void StepUses(const Step& s, Reads& out) {
    for (const ast::Expr* e : StepExpressions(s)) Uses(e, s.scope, out);
    // A template's holes read the step's names too (a `with` field of the
    // same name shadows one, and reading a little more is harmless).
    if (s.content != nullptr)
      for (const ast::Expr* e : TemplateHoles(*s.content->decl)) Uses(e, s.scope, out);
  }

  void Patch(const std::vector<Ref>& refs, StepIndex target) {
    for (const Ref& r : refs) {
      switch (r.field) {
        case Ref::kEntry: journey_->entry = target; break;
        case Ref::kNext: journey_->steps[r.step].next = target; break;
        case Ref::kArm: journey_->steps[r.step].arms[r.arm].target = target; break;
        case Ref::kOnEvent: journey_->steps[r.step].on_event = target; break;
        case Ref::kOnTimeout: journey_->steps[r.step].on_timeout = target; break;
      }
    }
  }

  /// Lays out `block`; `incoming` are the references that lead into it.
  /// Returns the references that leave it (to be patched to whatever comes
  /// after). An empty block passes `incoming` straight through.
  std::vector<Ref> LowerBlock(const ast::Block& block, std::vector<Ref> incoming, Scope scope) {
    for (const auto& step : block.steps) {
      StepIndex index = static_cast<StepIndex>(journey_->steps.size());
      Patch(incoming, index);
      incoming = LowerStep(*step, index, scope);
    }
    return incoming;
  }

  std::string StepId(const ast::Step& s) {
    LineColumn at = source_->Locate(s.range.begin);
    bool notify = s.kind == ast::StepKind::kTask && s.As<ast::TaskStep>().notify;
    std::string id = std::string(notify ? "notify" : ast::StepKeyword(s.kind)) + "@" + std::to_string(at.line);
    if (!ids_.insert(id).second) {
      id += ":" + std::to_string(at.column);
      ids_.insert(id);
    }
    return id;
  }

  StepIndex Push(StepOp op, const ast::Step& s, const Scope& scope) {
    Step step;
    step.op = op;
    step.source = &s;
    step.id = StepId(s);
    if (s.label) step.label = s.label->text;
    step.scope = scope;
    journey_->steps.push_back(std::move(step));
    return static_cast<StepIndex>(journey_->steps.size() - 1);
  }

  std::vector<Ref> LowerStep(const ast::Step& s, StepIndex self, Scope& scope) {
    Journey& j = *journey_;
    std::vector<Ref> next{Ref{Ref::kNext, self}};
    switch (s.kind) {
      case ast::StepKind::kSend: {
        Push(StepOp::kSend, s, scope);
        const ast::Message& id = s.As<ast::SendStep>().message;
        if (id.parts.size() == 1 && !id.parts[0].expr) {
          auto t = out_.templates.find(id.parts[0].text);
          if (t != out_.templates.end() && t->second.channel == s.As<ast::SendStep>().channel.text)
            j.steps[self].content = &t->second;
        }
        return next;
      }
      case ast::StepKind::kTask: Push(StepOp::kTask, s, scope); return next;
      case ast::StepKind::kWaitDuration: {
        Push(StepOp::kWaitDuration, s, scope);
        j.steps[self].millis = s.As<ast::WaitDurationStep>().duration.value.millis;
        return next;
      }
      case ast::StepKind::kWaitTimeOfDay: Push(StepOp::kWaitTimeOfDay, s, scope); return next;
      case ast::StepKind::kWaitUntil: Push(StepOp::kWaitUntil, s, scope); return next;
      case ast::StepKind::kWaitEvent: {
        const auto& w = s.As<ast::WaitEventStep>();
        Push(StepOp::kWaitEvent, s, scope);
        Pattern p = LowerPattern(j, w.pattern, true);
        j.steps[self].millis = w.limit.value.millis;
        Scope with_binding = scope;
        with_binding.emplace_back(p.binding, p.slot);
        j.steps[self].pattern = p;
        std::vector<Ref> outs;
        Ref on_event{Ref::kOnEvent, self};
        if (w.then) {
          auto o = LowerBlock(*w.then, {on_event}, with_binding);
          outs.insert(outs.end(), o.begin(), o.end());
        } else {
          outs.push_back(on_event);
        }
        Ref on_timeout{Ref::kOnTimeout, self};
        if (w.timeout) {
          auto o = LowerBlock(*w.timeout, {on_timeout}, scope);
          outs.insert(outs.end(), o.begin(), o.end());
        } else {
          outs.push_back(on_timeout);
        }
        // The checker lets later steps use the binding only where the
        // timeout cannot reach them.
        scope = with_binding;
        return outs;
      }
      case ast::StepKind::kIf: {
        const auto& st = s.As<ast::IfStep>();
        return LowerArms(s, self, scope, st.branches, st.otherwise ? &*st.otherwise : nullptr);
      }
      case ast::StepKind::kChoose: {
        const auto& st = s.As<ast::ChooseStep>();
        return LowerArms(s, self, scope, st.arms, st.otherwise ? &*st.otherwise : nullptr);
      }
      case ast::StepKind::kChooseBest: {
        const auto& st = s.As<ast::ChooseBestStep>();
        Push(StepOp::kChooseBest, s, scope);
        std::vector<const ast::Block*> bodies;
        for (const auto& a : st.arms) {
          j.steps[self].arms.push_back({nullptr, a.option.text, 0, kDone});
          bodies.push_back(&a.body);
        }
        std::vector<Ref> outs = LowerArmBodies(self, bodies, scope);
        // `otherwise`, taken when no option is acceptable, is the step's next.
        if (st.otherwise) {
          auto o = LowerBlock(*st.otherwise, {Ref{Ref::kNext, self}}, scope);
          outs.insert(outs.end(), o.begin(), o.end());
        }
        return outs;
      }
      case ast::StepKind::kSplit: {
        const auto& st = s.As<ast::SplitStep>();
        Push(StepOp::kSplit, s, scope);
        std::vector<const ast::Block*> bodies;
        std::string labels;
        for (const auto& a : st.arms) {
          j.steps[self].arms.push_back({nullptr, a.label.text, a.percent, kDone});
          bodies.push_back(&a.body);
          labels += a.label.text + '\x1f';
        }
        // Steps are lowered in source order: count the earlier splits of
        // this journey with the same labels.
        uint32_t draw = 0;
        for (StepIndex i = 0; i < self; ++i) {
          if (j.steps[i].op != StepOp::kSplit) continue;
          std::string other;
          for (const Arm& a : j.steps[i].arms) other += a.label + '\x1f';
          draw += other == labels;
        }
        j.steps[self].draw = draw;
        return LowerArmBodies(self, bodies, scope);
      }
      case ast::StepKind::kStart: {
        Push(StepOp::kStart, s, scope);
        int target = out_.Index(s.As<ast::StartStep>().journey.text);
        TUTTI_CHECK(target >= 0, "a checked 'start' names a journey");
        j.steps[self].journey = static_cast<uint32_t>(target);
        return next;
      }
      case ast::StepKind::kEmit: Push(StepOp::kEmit, s, scope); return next;
      case ast::StepKind::kLet: {
        Push(StepOp::kAssign, s, scope);
        const auto& let = s.As<ast::LetStep>();
        const std::string& name = let.name.text;
        auto type = types_.find(let.value.get());
        TUTTI_CHECK(type != types_.end(), "a checked 'let' has a type");
        uint32_t slot = NewSlot(j, name, type->second);
        j.steps[self].slot = slot;
        scope.emplace_back(name, slot);
        return next;
      }
      case ast::StepKind::kSet: {
        Push(StepOp::kAssign, s, scope);
        const std::string& name = s.As<ast::SetStep>().name.text;
        auto it = std::find_if(scope.rbegin(), scope.rend(), [&](const auto& e) { return e.first == name; });
        TUTTI_CHECK(it != scope.rend(), "a checked 'set' names a 'let'");
        j.steps[self].slot = it->second;
        return next;
      }
      case ast::StepKind::kEnd: Push(StepOp::kEnd, s, scope); return {};
    }
    return next;
  }

  /// Lays out the body of each arm of step `self`; the references leaving
  /// any of them.
  std::vector<Ref> LowerArmBodies(StepIndex self, const std::vector<const ast::Block*>& bodies, const Scope& scope) {
    std::vector<Ref> outs;
    for (size_t i = 0; i < bodies.size(); ++i) {
      auto o = LowerBlock(*bodies[i], {Ref{Ref::kArm, self, i}}, scope);
      outs.insert(outs.end(), o.begin(), o.end());
    }
    return outs;
  }

  std::vector<Ref> LowerArms(const ast::Step& s, StepIndex self, const Scope& scope,
                             const std::vector<ast::Branch>& branches, const ast::Block* otherwise) {
    Push(StepOp::kBranch, s, scope);
    std::vector<const ast::Block*> bodies;
    for (const auto& b : branches) {
      journey_->steps[self].arms.push_back({b.cond.get(), "", 0, kDone});
      bodies.push_back(&b.body);
    }
    std::vector<Ref> outs = LowerArmBodies(self, bodies, scope);
    Ref fall{Ref::kNext, self};
    if (otherwise) {
      auto o = LowerBlock(*otherwise, {fall}, scope);
      outs.insert(outs.end(), o.begin(), o.end());
    } else {
      outs.push_back(fall);
    }
    return outs;
  }

  const std::map<const ast::Expr*, Type>& types_;  // the checker's
  std::map<std::string, const ast::EventDecl*> events_;
  std::map<std::string, const ast::ProfileDecl*> profiles_;
  std::map<std::string, std::pair<const ast::JourneyDecl*, const Source*>> decls_;
  Program out_;
  Journey* journey_ = nullptr;
  const Source* source_ = nullptr;
  std::set<std::string> ids_;
};

}  // namespace

Program Lower(const compiler::Program& program, const std::map<const ast::Expr*, Type>& types) {
  return Lowerer(program, types).Run();
}

}  // namespace tutti::compiler::ir
