// Journeys: metadata, trigger, audience, exit and goal criteria, and every
// step kind, with the scopes their names live in.

#include <numeric>

#include "compiler/ast/conditions.h"
#include "compiler/check/file_checker.h"
#include "compiler/check/suggest.h"

namespace tutti::compiler::internal {

struct FileChecker::JourneyContext {
  const ast::JourneyDecl* journey = nullptr;
  std::string customer;  // profile name; empty if unknown
  const ast::ProfileDecl* customer_profile = nullptr;
  JourneyFacts* facts = nullptr;
  std::map<std::string, SourceRange> labels;  // step labels seen so far
};

namespace {

// Whether `cond` has a conjunct `a.fa == b.fb` (either way round).
bool HasEquality(const ast::Expr* cond, const std::string& a, const std::string& fa,
                 const std::string& b, const std::string& fb) {
  return ast::FindEquality(cond, a, fa, b, fb).has_value();
}

const ast::FieldDecl* KeyField(const ast::ProfileDecl* p) {
  if (p == nullptr) return nullptr;
  for (const ast::FieldDecl& f : p->fields)
    if (f.key) return &f;
  return nullptr;
}

bool HasField(const ast::ProfileDecl* p, const std::string& name) {
  if (p == nullptr) return false;
  for (const ast::FieldDecl& f : p->fields)
    if (f.name.text == name) return true;
  return false;
}

}  // namespace

void FileChecker::CheckMessage(const ast::Message& m, const Scope& scope) {
  for (const ast::MessagePart& part : m.parts) {
    if (!part.expr) continue;
    Type t = exprs_.Check(*part.expr, scope);
    if (t.IsRecord() || t.is(TypeKind::kMap))
      sink_.Error(Code::kNotShowable, At(part.expr->range), "a " + t.ToString() + " cannot be shown in a message; pick a field, such as " +
                                            (t.IsRecord() ? "." + std::string("name") : std::string("[key]")));
  }
}

namespace {

// Whether every event `narrow` takes is one `wide` takes too: each `&&`-ed
// part of wide's condition is one of narrow's (each reading the event by
// its own name).
bool Implies(const ast::EventPattern& narrow, const ast::EventPattern& wide) {
  std::vector<const ast::Expr*> have = ast::Conjuncts(narrow.cond.get());
  for (const ast::Expr* need : ast::Conjuncts(wide.cond.get())) {
    bool found = false;
    for (const ast::Expr* h : have)
      found |= ast::SameExpr(*need, wide.BoundName().text, *h, narrow.BoundName().text);
    if (!found) return false;
  }
  return true;
}

}  // namespace

void FileChecker::CheckPattern(const ast::EventPattern& p, Scope& scope, JourneyContext& ctx,
                               bool needs_correlation, const char* where) {
  const ast::EventDecl* event = FindEvent(p.event);
  const ast::Name& bound = p.BoundName();
  if (const Variable* clash = scope.Find(bound.text); clash != nullptr && p.binding) {
    Diagnostic& d = sink_.Error(Code::kAlreadyBound, At(bound.range), "'" + bound.text + "' is already bound in this journey; choose another name with 'as'");
    if (clash->declared.end > 0) d.notes.push_back({At(clash->declared), "bound here"});
  }
  scope.Define(bound.text, {event ? Type::Event(event->name.text) : Type::Error(), bound.range});
  if (p.cond) exprs_.Expect(*p.cond, scope, Type::Bool(), std::string("the condition of ") + where);
  if (auto why = ast::NeverTrue(p.cond.get()))
    sink_.Warning(Code::kNeverTrue, At(p.cond->range), std::string("the condition of ") + where + " is never true: " + *why);
  if (!needs_correlation || event == nullptr || ctx.customer.empty()) return;
  if (event->key_profile.text == ctx.customer) return;
  const ast::FieldDecl* key = KeyField(ctx.customer_profile);
  if (key != nullptr && HasEquality(p.cond.get(), bound.text, "", ctx.customer, key->name.text)) return;
  // Suggest the event field most likely to hold the customer's key.
  std::string field = "FIELD";
  for (const ast::FieldDecl& f : event->fields)
    if (f.name.text == ctx.customer) field = f.name.text;
  std::string key_name = key ? key->name.text : "id";
  Diagnostic& d = sink_.Error(Code::kCorrelation, At(p.event.range),
                              std::string("cannot tell which ") + ctx.customer + " each '" + event->name.text + "' event in " + where +
                                  " belongs to: '" + event->name.text + "' is keyed by " + event->key_profile.text +
                                  "; add a condition such as 'where " + bound.text + "." + field + " == " +
                                  ctx.customer + "." + key_name + "'");
  d.notes.push_back({DeclaredAt(symbols_.events, event->name.text), "'" + event->name.text + "' is declared here"});
}

void FileChecker::DefineUnknownCustomer(Scope& scope, const ast::JourneyDecl& j, const ast::Audience* audience) {
  std::vector<std::string> names = Symbols::Names(symbols_.profiles);
  if (j.customer) names.push_back(j.customer->text);
  if (audience) names.push_back(audience->profile.text);
  // Not the trigger's binding, which its pattern defines.
  std::string bound = j.triggers.empty() ? std::string() : j.triggers[0].BoundName().text;
  for (const std::string& name : names)
    if (name != bound) scope.Define(name, {Type::Error(), {}});
}

void FileChecker::CheckJourney(const ast::JourneyDecl& j, std::vector<JourneyFacts>& all_facts) {
  all_facts.push_back({&j, &file_, {}, {}, {}, {}});
  JourneyFacts& facts = all_facts.back();
  JourneyContext ctx;
  ctx.journey = &j;
  ctx.facts = &facts;

  std::map<std::string, SourceRange> meta_seen;
  for (const ast::MetaItem& m : j.meta) {
    auto [it, inserted] = meta_seen.emplace(m.keyword, m.range);
    if (!inserted) {
      Diagnostic& d = sink_.Error(Code::kJourneySetting, At(m.range), "'" + m.keyword + "' is given twice in journey '" + j.name.text + "'");
      d.notes.push_back({At(it->second), "first given here"});
    }
    if (m.keyword == "priority" && (j.priority < 0 || j.priority > 100))
      sink_.Error(Code::kJourneySetting, At(m.range), "priority must be from 0 to 100 (higher wins when journeys contend)");
    if (m.keyword == "version" && j.version < 1) sink_.Error(Code::kJourneySetting, At(m.range), "version must be 1 or more");
  }
  if (j.reentry_after) CheckDuration(*j.reentry_after, "the re-entry wait");

  for (size_t i = 1; i < j.triggers.size(); ++i) {
    Diagnostic& d = sink_.Error(Code::kTrigger, At(j.triggers[i].range), "a journey has one trigger; start another journey for a second one");
    d.notes.push_back({At(j.triggers[0].range), "the first trigger"});
  }
  for (size_t i = 1; i < j.audiences.size(); ++i)
    sink_.Error(Code::kTrigger, At(j.audiences[i].range), "a journey has one audience; combine the conditions with 'and'");

  Scope globals;
  globals.Define("now", {Type::Timestamp(), {}});
  const ast::EventDecl* trigger_event = nullptr;
  const ast::EventPattern* trigger = j.triggers.empty() ? nullptr : &j.triggers[0];
  if (trigger) {
    trigger_event = symbols_.events.count(trigger->event.text) ? symbols_.events.at(trigger->event.text).decl : nullptr;
    facts.trigger_event = trigger->event.text;
  }

  // Who the journey is for.
  const ast::Audience* audience = j.audiences.empty() ? nullptr : &j.audiences[0];
  if (audience) {
    ctx.customer_profile = FindProfile(audience->profile);
    if (ctx.customer_profile) ctx.customer = audience->profile.text;
    if (j.customer && j.customer->text != audience->profile.text)
      sink_.Error(Code::kCustomerMismatch, At(j.customer->range), "journey is declared 'for " + j.customer->text + "' but its audience is " + audience->profile.text);
  } else if (j.customer) {
    ctx.customer_profile = FindProfile(*j.customer);
    if (ctx.customer_profile) ctx.customer = j.customer->text;
    if (trigger_event && ctx.customer_profile && trigger_event->key_profile.text != ctx.customer)
      sink_.Error(Code::kCustomerMismatch, At(j.customer->range), "journey is 'for " + ctx.customer + "' but its trigger '" + trigger_event->name.text +
                                             "' is keyed by " + trigger_event->key_profile.text +
                                             "; add 'audience " + ctx.customer + " where ...' to fan out");
  } else if (trigger_event) {
    auto it = symbols_.profiles.find(trigger_event->key_profile.text);
    if (it != symbols_.profiles.end()) {
      ctx.customer_profile = it->second.decl;
      ctx.customer = it->first;
    }
  } else if (!trigger) {
    sink_.Error(Code::kTrigger, At(j.name.range), "journey '" + j.name.text + "' has no trigger and does not say whom it is for; add 'on EVENT' or write 'journey " +
                                      j.name.text + " for hcp { ... }' to start it from other journeys");
  }

  // The trigger's condition may read the profile of the customer the event
  // is keyed by (not when it fans out: then there is no one customer yet).
  Scope customer_scope(&globals);
  bool customer_unknown = (trigger && !trigger_event) || (j.customer && !ctx.customer_profile) ||
                          (audience && !ctx.customer_profile);
  if (trigger && !audience && trigger_event && ctx.customer_profile &&
      trigger_event->key_profile.text == ctx.customer && trigger->BoundName().text != ctx.customer)
    customer_scope.Define(ctx.customer, {Type::Profile(ctx.customer), {}});
  if (customer_unknown && ctx.customer.empty()) DefineUnknownCustomer(customer_scope, j, audience);
  Scope trigger_scope(&customer_scope);
  if (trigger) CheckPattern(*trigger, trigger_scope, ctx, false, "the trigger");

  if (audience) {
    Scope audience_scope(&trigger_scope);
    if (ctx.customer_profile) audience_scope.Define(ctx.customer, {Type::Profile(ctx.customer), audience->profile.range});
    exprs_.Expect(*audience->cond, audience_scope, Type::Bool(), "the audience condition");
    if (!trigger) {
      sink_.Error(Code::kAudience, At(audience->range), "an audience fans out from the trigger's event; add 'on EVENT ...' before it");
    } else if (trigger_event && ctx.customer_profile) {
      const std::string& key_profile = trigger_event->key_profile.text;
      if (key_profile == ctx.customer) {
        Diagnostic& d = sink_.Error(Code::kAudience, At(audience->range), "an audience fans out from an event to many " + ctx.customer + ", but '" +
                                                              trigger_event->name.text + "' is keyed by " + key_profile +
                                                              ": each event already concerns one " + key_profile + "; remove the audience");
        d.notes.push_back({DeclaredAt(symbols_.events, trigger_event->name.text), "'" + trigger_event->name.text + "' is declared here"});
      } else if (!HasEquality(audience->cond.get(), ctx.customer, "", trigger->BoundName().text,
                              trigger_event->KeyFieldName().text)) {
        std::string field = HasField(ctx.customer_profile, key_profile) ? key_profile : "FIELD";
        sink_.Error(Code::kAudience, At(audience->cond->range), "the audience is not tied to the event's " + key_profile +
                                                   ", so it would reach every " + ctx.customer + "; add a condition such as '" +
                                                   ctx.customer + "." + field + " == " + trigger->BoundName().text + "." +
                                                   trigger_event->KeyFieldName().text + "'");
      }
    }
  }

  Scope journey_scope(&trigger_scope);
  if (!ctx.customer.empty() && ctx.customer_profile) {
    journey_scope.Define(ctx.customer, {Type::Profile(ctx.customer), {}});
  } else if (customer_unknown) {
    DefineUnknownCustomer(journey_scope, j, audience);
  }
  for (const ast::ExitCriterion& exit : j.exits) {
    Scope exit_scope(&journey_scope);
    CheckPattern(exit.pattern, exit_scope, ctx, true, exit.goal ? "a goal" : "an exit rule");
  }
  Scope body(&journey_scope);
  CheckBlock(j.steps, body, ctx);
  CheckMigrations(j, ctx);
}

void FileChecker::CheckMigrations(const ast::JourneyDecl& j, JourneyContext& ctx) {
  std::vector<std::string> labels;
  for (const auto& [label, range] : ctx.labels) labels.push_back(label);
  std::map<std::string, SourceRange> moved;
  for (const ast::Migration& m : j.migrations) {
    auto [first, inserted] = moved.emplace(m.from.text, m.from.range);
    if (!inserted) {
      Diagnostic& d = sink_.Error(Code::kMigrate, At(m.from.range), "instances at '" + m.from.text + "' are already moved by this 'migrate'");
      d.notes.push_back({At(first->second), "first moved here"});
    }
    if (m.from_step_id && !m.to) {
      sink_.Error(Code::kMigrate, At(m.range), "a step named by its id needs '-> LABEL' to say which step of this version its "
                               "instances move to");
      continue;
    }
    const ast::Name& target = m.Target();
    if (ctx.labels.count(target.text)) continue;
    std::string message = "no step of journey '" + j.name.text + "' is labelled '" + target.text + "'";
    if (labels.empty()) message += "; label the step instances move to, as in '" + target.text + ": wait 3d'";
    else message += DidYouMean(target.text, labels);
    SuggestFix(sink_.Error(Code::kUnknownDeclaration, At(target.range), message), target.range, target.text, labels);
  }
}

bool FileChecker::CheckBlock(const ast::Block& block, Scope& scope, JourneyContext& ctx) {
  bool ends = false;
  bool warned = false;
  for (const auto& step : block.steps) {
    if (ends && !warned) {
      sink_.Warning(Code::kUnreachable, At(step->range), "this step is never reached: the steps before it always end the journey");
      warned = true;
    }
    ends |= CheckStep(*step, scope, ctx);
  }
  return ends;
}

bool FileChecker::CheckStep(const ast::Step& step, Scope& scope, JourneyContext& ctx) {
  if (step.label) {
    // Only where an instance can rest between two inputs: a later version
    // moves instances from such a step to one of its own.
    bool rests = step.kind == ast::StepKind::kSend || step.kind == ast::StepKind::kWaitDuration ||
                 step.kind == ast::StepKind::kWaitTimeOfDay || step.kind == ast::StepKind::kWaitUntil ||
                 step.kind == ast::StepKind::kWaitEvent;
    if (!rests)
      sink_.Error(Code::kLabel, At(step.label->range), std::string("only a wait or a send can be labelled (instances rest there, "
                                                     "and a later version's 'migrate' names it), not '") +
                                             ast::StepKeyword(step.kind) + "'");
    auto [first, inserted] = ctx.labels.emplace(step.label->text, step.label->range);
    if (!inserted) {
      Diagnostic& d = sink_.Error(Code::kLabel, At(step.label->range), "the label '" + step.label->text + "' is already used in journey '" +
                                                             ctx.journey->name.text + "'");
      d.notes.push_back({At(first->second), "first used here"});
    }
  }
  switch (step.kind) {
    case ast::StepKind::kSend:
      CheckSend(step.As<ast::SendStep>(), scope, ctx);
      return false;
    case ast::StepKind::kTask:
      CheckTask(step.As<ast::TaskStep>(), scope, ctx);
      return false;
    case ast::StepKind::kWaitDuration:
      CheckDuration(step.As<ast::WaitDurationStep>().duration, "a wait");
      return false;
    case ast::StepKind::kWaitTimeOfDay: {
      const auto& w = step.As<ast::WaitTimeOfDayStep>();
      if (w.local && ctx.customer_profile && !HasField(ctx.customer_profile, "timezone"))
        sink_.Error(Code::kNeedsTimezone, At(w.range), "'local' time needs the customer's time zone, but profile '" + ctx.customer + "' has no 'timezone' field");
      return false;
    }
    case ast::StepKind::kWaitUntil:
      exprs_.Expect(*step.As<ast::WaitUntilStep>().at, scope, Type::Timestamp(), "the time after 'wait until'");
      return false;
    case ast::StepKind::kWaitEvent:
      return CheckWaitEvent(step.As<ast::WaitEventStep>(), scope, ctx);
    case ast::StepKind::kIf: {
      const auto& s = step.As<ast::IfStep>();
      bool all_end = true;
      for (const ast::Branch& b : s.branches) {
        exprs_.Expect(*b.cond, scope, Type::Bool(), "the condition after 'if'");
        Scope inner(&scope);
        all_end &= CheckBlock(b.body, inner, ctx);
      }
      if (s.otherwise) {
        Scope inner(&scope);
        all_end &= CheckBlock(*s.otherwise, inner, ctx);
      }
      return all_end && s.otherwise.has_value();
    }
    case ast::StepKind::kChoose: {
      const auto& s = step.As<ast::ChooseStep>();
      bool all_end = true;
      for (const ast::Branch& b : s.arms) {
        exprs_.Expect(*b.cond, scope, Type::Bool(), "the condition after 'when'");
        Scope inner(&scope);
        all_end &= CheckBlock(b.body, inner, ctx);
      }
      if (s.otherwise) {
        Scope inner(&scope);
        all_end &= CheckBlock(*s.otherwise, inner, ctx);
      }
      return all_end && s.otherwise.has_value();
    }
    case ast::StepKind::kChooseBest: {
      const auto& s = step.As<ast::ChooseBestStep>();
      Scope score_scope(&scope);
      score_scope.Define("option", {Type::String(), {}});
      std::vector<ast::Name> labels;
      for (const ast::OptionArm& arm : s.arms) labels.push_back(arm.option);
      exprs_.set_options(&labels);
      Type t = exprs_.Check(*s.score, score_scope);
      exprs_.set_options(nullptr);
      if (!t.IsNumeric() && !t.IsErrorOrDyn())
        sink_.Error(Code::kNotANumber, At(s.score->range), "the score after 'choose best by' must be a number, but this is " + t.ToString());
      std::map<std::string, SourceRange> seen;
      bool all_end = true;
      for (const ast::OptionArm& arm : s.arms) {
        auto [it, inserted] = seen.emplace(arm.option.text, arm.option.range);
        if (!inserted) {
          Diagnostic& d = sink_.Error(Code::kGivenTwice, At(arm.option.range), "option '" + arm.option.text + "' appears twice");
          d.notes.push_back({At(it->second), "first here"});
        }
        Scope inner(&scope);
        all_end &= CheckBlock(arm.body, inner, ctx);
      }
      if (s.otherwise) {
        Scope inner(&scope);
        all_end &= CheckBlock(*s.otherwise, inner, ctx);
      } else if (s.arms.size() < 2) {
        sink_.Warning(Code::kSingleOption, At(s.range), "'choose best' with a single option always picks it");
      }
      return all_end;
    }
    case ast::StepKind::kSplit: {
      const auto& s = step.As<ast::SplitStep>();
      int64_t total = 0;
      std::map<std::string, SourceRange> seen;
      bool all_end = true;
      for (const ast::SplitArm& arm : s.arms) {
        if (arm.percent <= 0 || arm.percent > 100)
          sink_.Error(Code::kShares, At(arm.percent_range), "a split arm needs a share from 1% to 100%");
        total += arm.percent;
        auto [it, inserted] = seen.emplace(arm.label.text, arm.label.range);
        if (!inserted) {
          Diagnostic& d = sink_.Error(Code::kGivenTwice, At(arm.label.range), "split arm '" + arm.label.text + "' appears twice");
          d.notes.push_back({At(it->second), "first here"});
        }
        Scope inner(&scope);
        all_end &= CheckBlock(arm.body, inner, ctx);
      }
      if (total != 100)
        sink_.Error(Code::kShares, At(s.range), "split percentages add up to " + std::to_string(total) + "%, not 100%");
      return all_end;
    }
    case ast::StepKind::kStart: {
      const auto& s = step.As<ast::StartStep>();
      if (const ast::JourneyDecl* target = FindJourney(s.journey)) {
        ctx.facts->starts.push_back({s.journey.text, s.range});
        // The started journey runs for the same customer.
        std::string target_customer;
        if (!target->audiences.empty()) target_customer = target->audiences[0].profile.text;
        else if (target->customer) target_customer = target->customer->text;
        else if (!target->triggers.empty() && symbols_.events.count(target->triggers[0].event.text))
          target_customer = symbols_.events.at(target->triggers[0].event.text).decl->key_profile.text;
        if (!target_customer.empty() && !ctx.customer.empty() && target_customer != ctx.customer) {
          Diagnostic& d = sink_.Error(Code::kCustomerMismatch, At(s.journey.range), "journey '" + target->name.text + "' is for " + target_customer +
                                                               ", but this journey is for " + ctx.customer);
          d.notes.push_back({DeclaredAt(symbols_.journeys, target->name.text), "declared here"});
        }
      }
      return false;
    }
    case ast::StepKind::kEmit:
      CheckEmit(step.As<ast::EmitStep>(), scope, ctx);
      return false;
    case ast::StepKind::kLet: {
      const auto& s = step.As<ast::LetStep>();
      Type t = exprs_.Check(*s.value, scope);
      if (const Variable* v = scope.Find(s.name.text)) {
        Diagnostic& d = sink_.Error(Code::kAlreadyBound, At(s.name.range), "'" + s.name.text + "' is already defined; " +
                                                          (v->assignable ? "use 'set " + s.name.text + " = ...' to change it"
                                                                         : std::string("choose another name")));
        if (v->declared.end > 0) d.notes.push_back({At(v->declared), "defined here"});
      }
      scope.Define(s.name.text, {t, s.name.range, true});
      return false;
    }
    case ast::StepKind::kSet: {
      const auto& s = step.As<ast::SetStep>();
      Type t = exprs_.Check(*s.value, scope);
      const Variable* v = scope.Find(s.name.text);
      if (v == nullptr) {
        SuggestFix(sink_.Error(Code::kUnknownName, At(s.name.range), "'" + s.name.text + "' is not defined; introduce it with 'let " +
                                                     s.name.text + " = ...'" + DidYouMean(s.name.text, scope.AllNames())),
                   s.name.range, s.name.text, scope.AllNames());
      } else if (!v->assignable) {
        sink_.Error(Code::kNotAssignable, At(s.name.range), "'" + s.name.text + "' is a binding, not a variable; only names from 'let' can be set");
      } else if (!Assignable(v->type, t)) {
        Diagnostic& d = sink_.Error(Code::kTypeMismatch, At(s.value->range), "'" + s.name.text + "' is " + v->type.ToString() + ", but this is " + t.ToString());
        d.notes.push_back({At(v->declared), "defined here"});
      }
      return false;
    }
    case ast::StepKind::kEnd:
      return true;
  }
  return false;
}

void FileChecker::CheckSend(const ast::SendStep& s, Scope& scope, JourneyContext& ctx) {
  const ast::ChannelDecl* channel = FindChannel(s.channel);
  CheckMessage(s.message, scope);
  for (const ast::FieldInit& v : s.vars) exprs_.Check(*v.value, scope);
  if (channel != nullptr) CheckSendContent(s, scope);
  std::set<std::string> seen;
  for (const ast::FieldInit& v : s.vars)
    if (!seen.insert(v.name.text).second) sink_.Error(Code::kGivenTwice, At(v.name.range), "'" + v.name.text + "' is given twice");
  Type recipient = ctx.customer.empty() ? Type::Error() : Type::Profile(ctx.customer);
  if (s.recipient) recipient = exprs_.Check(*s.recipient, scope);
  if (channel != nullptr) ctx.facts->sends.push_back({channel, s.channel.range});
  if (channel == nullptr || !channel->recipient) return;
  const std::string& to = channel->recipient->text;
  if (!recipient.IsErrorOrDyn() && !(recipient.is(TypeKind::kProfile) && recipient.name() == to)) {
    Diagnostic& d = sink_.Error(Code::kCustomerMismatch, At(s.recipient ? s.recipient->range : s.channel.range),
                                "channel '" + channel->name.text + "' goes to profile " + to + ", but " +
                                    (s.recipient ? "this is " + recipient.ToString()
                                                 : "this journey's customer is " + recipient.ToString() + "; say who with 'to ...'") +
                                    (channel->kind && channel->kind->text == "task"
                                         ? "; to give a colleague work about this customer, write 'task ASSIGNEE \"text\" via " +
                                               channel->name.text + "'"
                                         : ""));
    d.notes.push_back({DeclaredAt(symbols_.channels, channel->name.text), "channel declared here"});
  }
  if (channel->consent) {
    auto prof = symbols_.profiles.find(to);
    if (prof != symbols_.profiles.end()) {
      const ast::FieldDecl* consent = nullptr;
      for (const auto& f : prof->second.decl->fields)
        if (f.name.text == "consent") consent = &f;
      bool ok = consent != nullptr && consent->type.name.text != "map" &&
                (consent->type.name.text == "set" || consent->type.name.text == "list") &&
                consent->type.args.size() == 1 && consent->type.args[0].name.text == "string";
      if (!ok) {
        Diagnostic& d = sink_.Error(Code::kConsentField, At(s.channel.range), "channel '" + channel->name.text + "' requires consent \"" +
                                                             channel->consent->text + "\", but profile '" + to +
                                                             "' cannot record it: it needs a field 'consent: set<string>'");
        d.notes.push_back({DeclaredAt(symbols_.profiles, to), "profile declared here"});
        d.notes.push_back({{symbols_.channels.at(channel->name.text).file->source.get(), channel->consent->range}, "consent required here"});
      }
    }
  }
}

void FileChecker::CheckTask(const ast::TaskStep& t, Scope& scope, JourneyContext& ctx) {
  const char* verb = t.notify ? "notify" : "task";
  if (t.route_profile) {
    Scope route(&scope);
    bool known = FindProfile(*t.route_profile) != nullptr;
    route.Define(t.route_profile->text,
                 {known ? Type::Profile(t.route_profile->text) : Type::Error(), t.route_profile->range});
    exprs_.Expect(*t.route_cond, route, Type::Bool(), std::string("the routing condition of '") + verb + "'");
    if (t.route_score) {
      Type s = exprs_.Check(*t.route_score, route);
      if (!s.IsNumeric() && !s.IsErrorOrDyn())
        sink_.Error(Code::kNotANumber, At(t.route_score->range), "the score after 'best by' must be a number, but this is " + s.ToString());
    }
    CheckMessage(t.message, route);
  } else {
    Type who = exprs_.Check(*t.assignee, scope);
    if (!who.IsErrorOrDyn() && !who.is(TypeKind::kString) && !who.is(TypeKind::kProfile))
      sink_.Error(Code::kTypeMismatch, At(t.assignee->range), std::string("who gets the ") + verb + " must be a staff id (a string) or a profile, but this is " + who.ToString());
    CheckMessage(t.message, scope);
  }
  if (t.channel) {
    const ast::ChannelDecl* channel = FindChannel(*t.channel);
    if (t.notify) {
      sink_.Error(Code::kChannelKind, At(t.channel->range), "a notification only informs a colleague and is never a contact "
                  "with the customer; 'via' names the channel of a 'task'");
    } else if (channel != nullptr && channel->kind && channel->kind->text != "task") {
      Diagnostic& d = sink_.Error(Code::kChannelKind, At(t.channel->range), "channel '" + channel->name.text + "' is of kind " +
                                  channel->kind->text + "; a task goes through a channel of kind task" +
                                  (channel->kind->text == "message" ? " (a message is sent with 'send')" : ""));
      d.notes.push_back({DeclaredAt(symbols_.channels, channel->name.text), "channel declared here"});
    }
  }
  if (t.due) CheckDuration(*t.due, "a due time");
  (void)ctx;
}

bool FileChecker::CheckWaitEvent(const ast::WaitEventStep& w, Scope& scope, JourneyContext& ctx) {
  CheckDuration(w.limit, "the longest wait");
  Scope arrival(&scope);
  CheckPattern(w.pattern, arrival, ctx, true, "a wait");
  // Goals and exits see an event before the journey's waits do.
  for (const ast::ExitCriterion& x : ctx.journey->exits) {
    if (x.pattern.event.text != w.pattern.event.text || !Implies(w.pattern, x.pattern)) continue;
    Diagnostic& d = sink_.Warning(Code::kSwallowedWait, 
        At(w.pattern.range), std::string("the journey's ") + (x.goal ? "goal" : "exit") + " on '" +
                                 x.pattern.event.text + "' ends it on every event this wait is for, so the wait "
                                 "never takes one" + (w.then ? ": its 'then' never runs" : "") +
                                 "; narrow the " + (x.goal ? "goal" : "exit") + ", or wait for another event");
    d.notes.push_back({At(x.range), std::string(x.goal ? "the goal" : "the exit") + " is here"});
    break;
  }
  bool then_ends = false, timeout_ends = false;
  if (w.then) then_ends = CheckBlock(*w.then, arrival, ctx);
  if (w.timeout) {
    Scope timed_out(&scope);
    timeout_ends = CheckBlock(*w.timeout, timed_out, ctx);
  }
  // After the wait, the event is bound only if a timeout cannot get here.
  const ast::Name& bound = w.pattern.BoundName();
  if (const Variable* v = arrival.Find(bound.text)) {
    Variable after = *v;
    if (!(w.timeout && timeout_ends))
      after.unavailable = "the wait may have timed out without the event; use it inside 'then { ... }', or end the 'timeout' branch";
    scope.Define(bound.text, after);
  }
  return w.then && then_ends && w.timeout && timeout_ends;
}

void FileChecker::CheckEmit(const ast::EmitStep& e, Scope& scope, JourneyContext& ctx) {
  const ast::EventDecl* event = FindEvent(e.event);
  for (const ast::FieldInit& f : e.fields) exprs_.Check(*f.value, scope);
  if (event == nullptr) return;
  ctx.facts->emits.push_back({event->name.text, e.range});
  std::set<std::string> given;
  std::vector<std::string> names = {"at"};
  for (const ast::FieldDecl& f : event->fields) names.push_back(f.name.text);
  for (const ast::FieldInit& f : e.fields) {
    if (!given.insert(f.name.text).second) {
      sink_.Error(Code::kGivenTwice, At(f.name.range), "field '" + f.name.text + "' is given twice");
      continue;
    }
    Type want = f.name.text == "at" ? Type::Timestamp() : Type::Error();
    bool found = f.name.text == "at";
    for (const ast::FieldDecl& d : event->fields) {
      if (d.name.text != f.name.text) continue;
      found = true;
      want = exprs_.ResolveQuietly(d.type);
    }
    if (!found) {
      Diagnostic& d = sink_.Error(Code::kUnknownField, At(f.name.range), "event '" + event->name.text + "' has no field '" + f.name.text + "'" +
                                                        DidYouMean(f.name.text, names));
      d.notes.push_back({DeclaredAt(symbols_.events, event->name.text), "declared here"});
      SuggestFix(d, f.name.range, f.name.text, names);
      continue;
    }
    Type got = result_.types.count(f.value.get()) ? result_.types.at(f.value.get()) : Type::Dyn();
    if (!Assignable(want, got))
      sink_.Error(Code::kTypeMismatch, At(f.value->range), "field '" + f.name.text + "' is " + want.ToString() + ", but this is " + got.ToString());
  }
  std::string missing;
  for (const ast::FieldDecl& d : event->fields)
    if (!d.optional && !given.count(d.name.text)) missing += (missing.empty() ? "" : ", ") + d.name.text;
  if (!missing.empty()) {
    Diagnostic& d = sink_.Error(Code::kEmitFields, At(e.event.range), "emit of '" + event->name.text + "' is missing required fields: " + missing);
    d.notes.push_back({DeclaredAt(symbols_.events, event->name.text), "declared here"});
  }
}

}  // namespace tutti::compiler::internal
