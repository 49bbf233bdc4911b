#include "compiler/parse/ast_builder.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "compiler/parse/literals.h"
#include "compiler/parse/message.h"

namespace tutti::compiler::internal {

using TP = tutti_grammar::TuttiParser;

namespace {

SourceRange Join(SourceRange a, SourceRange b) {
  return {std::min(a.begin, b.begin), std::max(a.end, b.end)};
}

}  // namespace

// ---------------------------------------------------------------- helpers

SourceRange AstBuilder::Range(antlr4::ParserRuleContext* ctx) const {
  if (ctx == nullptr || ctx->getStart() == nullptr) return {};
  SourceRange begin = token_range_(ctx->getStart());
  antlr4::Token* stop = ctx->getStop();
  if (stop == nullptr || stop->getTokenIndex() < ctx->getStart()->getTokenIndex()) return begin;
  return Join(begin, token_range_(stop));
}

SourceRange AstBuilder::Range(antlr4::tree::TerminalNode* node) const {
  return node ? token_range_(node->getSymbol()) : SourceRange{};
}

ast::Name AstBuilder::BuildName(antlr4::ParserRuleContext* ctx) const {
  if (ctx == nullptr) return {};
  return {ctx->getText(), Range(ctx)};
}

void AstBuilder::Error(Code code, SourceRange at, std::string message) {
  sink_.Error(code, {&source_, at}, std::move(message));
}

int64_t AstBuilder::BuildInt(antlr4::Token* token) {
  uint64_t v = 0;
  std::string err = ParseUnsigned(token->getText(), &v);
  if (!err.empty() || v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    Error(Code::kBadLiteral, Range(token), "number is too large");
    return 0;
  }
  return static_cast<int64_t>(v);
}

std::string AstBuilder::BuildString(antlr4::Token* token) {
  std::string out;
  bool bytes = false;
  size_t at = 0;
  std::string err = DecodeQuoted(token->getText(), &out, &bytes, &at);
  if (!err.empty()) Error(Code::kBadLiteral, Range(token), err);
  return out;
}

// ---------------------------------------------------------------- program

/// program : importDecl* decl* EOF
namespace {

// Whether the parse tree under `tree` holds no error: no token recovery
// conjured or skipped (error nodes, empty rules), no rule that failed. Iterative: trees
// are as deep as the parser's rule limit.
bool Clean(antlr4::tree::ParseTree* tree) {
  std::vector<antlr4::tree::ParseTree*> todo = {tree};
  while (!todo.empty()) {
    antlr4::tree::ParseTree* t = todo.back();
    todo.pop_back();
    if (t == nullptr || dynamic_cast<antlr4::tree::ErrorNode*>(t) != nullptr) return false;
    // No rule of the grammar matches nothing: one without children is a
    // set match (ident, literal) that recovery conjured a token for.
    if (auto* rule = dynamic_cast<antlr4::ParserRuleContext*>(t);
        rule != nullptr && (rule->exception != nullptr || rule->children.empty()))
      return false;
    for (antlr4::tree::ParseTree* child : t->children) todo.push_back(child);
  }
  return true;
}

// The name a declaration was given, when it parsed.
std::string DeclName(tutti_grammar::TuttiParser::DeclContext* decl) {
  antlr4::ParserRuleContext* name = nullptr;
  if (auto* e = decl->eventDecl()) name = e->name;
  else if (auto* p = decl->profileDecl()) name = p->name;
  else if (auto* c = decl->channelDecl()) name = c->name;
  else if (auto* p = decl->policyDecl()) name = p->name;
  else if (auto* t = decl->testDecl(); t != nullptr && t->name != nullptr && Clean(t))
    return t->name->getText().size() >= 2 ? t->name->getText().substr(1, t->name->getText().size() - 2) : std::string();
  else if (auto* t = decl->templateDecl(); t != nullptr && t->id != nullptr && Clean(t))
    return t->id->getText().size() >= 2 ? t->id->getText().substr(1, t->id->getText().size() - 2) : std::string();
  else if (auto* j = decl->journeyDecl()) name = j->name;
  return name != nullptr && Clean(name) ? name->getText() : std::string();
}

}  // namespace

std::unique_ptr<ast::File> AstBuilder::BuildFile(TP::ProgramContext* ctx, bool partial) {
  auto file = std::make_unique<ast::File>();
  file->source = &source_;
  file->partial = partial;
  for (auto* imp : ctx->importDecl()) {
    if (partial && !Clean(imp)) continue;
    size_t mark = sink_.mark();
    ast::ImportDecl built{BuildString(imp->path), Range(imp)};
    if (sink_.ErrorsSince(mark)) file->partial = true;
    else file->imports.push_back(std::move(built));
  }
  for (auto* decl : ctx->decl()) {
    size_t mark = sink_.mark();
    if (partial && !Clean(decl)) {
      if (std::string name = DeclName(decl); !name.empty()) file->left_out.push_back(name);
      continue;
    }
    auto keep = [&](auto& list, auto built) {
      // A declaration whose building reported an error (a literal out of
      // range, a bad interpolation) is left out too.
      if (!sink_.ErrorsSince(mark)) return list.push_back(std::move(built));
      file->partial = true;
      file->left_out.push_back(built.name.text);
    };
    if (auto* e = decl->eventDecl()) keep(file->events, BuildEvent(e));
    if (auto* p = decl->profileDecl()) keep(file->profiles, BuildProfile(p));
    if (auto* c = decl->channelDecl()) keep(file->channels, BuildChannel(c));
    if (auto* p = decl->policyDecl()) keep(file->policies, BuildPolicy(p));
    if (auto* t = decl->templateDecl()) keep(file->templates, BuildTemplate(t));
    if (auto* t = decl->testDecl()) keep(file->tests, BuildTest(t));
    if (auto* j = decl->journeyDecl()) keep(file->journeys, BuildJourney(j));
  }
  return file;
}

/// eventDecl : EVENT name KEYED BY keyProfile (VIA keyField)? '{' fieldDecls? '}'
ast::EventDecl AstBuilder::BuildEvent(TP::EventDeclContext* ctx) {
  ast::EventDecl d;
  d.name = BuildName(ctx->name);
  d.key_profile = BuildName(ctx->keyProfile);
  if (ctx->keyField) d.key_field = BuildName(ctx->keyField);
  d.fields = BuildFields(ctx->fieldDecls());
  d.range = Range(ctx);
  return d;
}

/// profileDecl : PROFILE name '{' fieldDecls? '}'
ast::ProfileDecl AstBuilder::BuildProfile(TP::ProfileDeclContext* ctx) {
  ast::ProfileDecl d;
  d.name = BuildName(ctx->name);
  d.fields = BuildFields(ctx->fieldDecls());
  d.range = Range(ctx);
  return d;
}

/// fieldDecl : doc? name ':' typeRef '?'? KEY?
std::vector<ast::FieldDecl> AstBuilder::BuildFields(TP::FieldDeclsContext* ctx) {
  std::vector<ast::FieldDecl> fields;
  if (ctx == nullptr) return fields;
  for (auto* f : ctx->fieldDecl()) {
    ast::FieldDecl d;
    d.name = BuildName(f->name);
    d.type = BuildType(f->typeRef());
    d.optional = f->optional != nullptr;
    d.key = f->isKey != nullptr;
    if (f->doc) d.doc = BuildString(f->doc);
    d.range = Range(f);
    fields.push_back(std::move(d));
  }
  return fields;
}

/// typeRef : name ('<' typeRef (',' typeRef)* '>')?
ast::TypeRef AstBuilder::BuildType(TP::TypeRefContext* ctx) {
  ast::TypeRef t;
  if (ctx == nullptr) return t;
  DepthGuard guard(depth_, limits_.max_expr_depth, Range(ctx));
  t.name = BuildName(ctx->name);
  for (auto* arg : ctx->typeRef()) t.args.push_back(BuildType(arg));
  t.range = Range(ctx);
  return t;
}

/// channelDecl : CHANNEL name '{' channelClause* '}'
ast::ChannelDecl AstBuilder::BuildChannel(TP::ChannelDeclContext* ctx) {
  ast::ChannelDecl d;
  d.name = BuildName(ctx->name);
  d.range = Range(ctx);
  for (auto* clause : ctx->channelClause()) {
    if (auto* k = dynamic_cast<TP::ChannelKindContext*>(clause)) {
      if (d.kind) Error(Code::kRepeatedClause, Range(k), "the channel's kind is given twice");
      d.kind = BuildName(k->kindName);
    } else if (auto* r = dynamic_cast<TP::ChannelRecipientContext*>(clause)) {
      if (d.recipient) Error(Code::kRepeatedClause, Range(r), "the channel's recipient is given twice");
      d.recipient = BuildName(r->recipient);
    } else if (auto* c = dynamic_cast<TP::ChannelConsentContext*>(clause)) {
      if (d.consent) Error(Code::kRepeatedClause, Range(c), "the channel's consent topic is given twice");
      d.consent = ast::Name{BuildString(c->topic), Range(c->topic)};
    } else if (auto* t = dynamic_cast<TP::ChannelDescriptionContext*>(clause)) {
      d.description = BuildString(t->text);
    }
  }
  return d;
}

/// templateDecl : TEMPLATE id=STRING FOR channel '{' templateClause* '}'
ast::TemplateDecl AstBuilder::BuildTemplate(TP::TemplateDeclContext* ctx) {
  ast::TemplateDecl d;
  d.name = ast::Name{BuildString(ctx->id), Range(ctx->id)};
  d.channel = BuildName(ctx->channel);
  d.range = Range(ctx);
  d.contents.emplace_back();
  d.contents[0].range = d.range;
  for (auto* clause : ctx->templateClause()) {
    if (auto* a = dynamic_cast<TP::ApprovedClauseContext*>(clause)) {
      if (d.approval) Error(Code::kRepeatedClause, Range(a), "the template's approval is given twice");
      d.approval = ast::Name{BuildString(a->approval), Range(a->approval)};
      if (a->expires) d.expires = ast::Name{BuildString(a->expires), Range(a->expires)};
      d.approval_range = Range(a);
    } else if (auto* c = dynamic_cast<TP::DefaultContentContext*>(clause)) {
      BuildContent(c->contentClause(), d.contents[0]);
    } else if (auto* l = dynamic_cast<TP::LocaleContentContext*>(clause)) {
      ast::TemplateContent content;
      content.locale = BuildString(l->tag);
      content.range = Range(l);
      for (auto* part : l->contentClause()) BuildContent(part, content);
      d.contents.push_back(std::move(content));
    }
  }
  return d;
}

/// testDecl : TEST name=STRING '{' testItem* '}'
ast::TestDecl AstBuilder::BuildTest(TP::TestDeclContext* ctx) {
  ast::TestDecl d;
  d.name = ast::Name{BuildString(ctx->name), Range(ctx->name)};
  d.range = Range(ctx);
  for (auto* item : ctx->testItem()) {
    ast::TestItem t;
    t.range = Range(item);
    auto text = [&](antlr4::Token* token) {
      t.text = BuildString(token);
      t.text_range = Range(token);
    };
    auto name = [&](antlr4::Token* token) { return ast::Name{BuildString(token), Range(token)}; };
    if (auto* c = dynamic_cast<TP::TestClockContext*>(item)) {
      t.kind = ast::TestItem::kClock;
      text(c->time);
    } else if (auto* p = dynamic_cast<TP::TestProfileContext*>(item)) {
      t.kind = ast::TestItem::kProfile;
      t.name = BuildName(p->profile);
      t.fields = BuildInits(p->varInits());
    } else if (auto* e = dynamic_cast<TP::TestEventContext*>(item)) {
      t.kind = ast::TestItem::kEvent;
      t.name = BuildName(e->event);
      t.fields = BuildInits(e->varInits());
    } else if (auto* w = dynamic_cast<TP::TestWaitContext*>(item)) {
      t.kind = ast::TestItem::kWait;
      ast::DurationLiteral d = BuildDurationToken(w->DURATION()->getSymbol());
      t.wait = d.value;
    } else if (auto* x = dynamic_cast<TP::TestExpectContext*>(item)) {
      auto* e = x->expectation();
      if (auto* s = dynamic_cast<TP::ExpectSendContext*>(e)) {
        t.kind = ast::TestItem::kExpectSend;
        t.name = BuildName(s->channel);
        text(s->message);
        if (s->who) t.who = name(s->who);
        t.fields = BuildInits(s->varInits());
      } else if (auto* s = dynamic_cast<TP::ExpectSuppressedContext*>(e)) {
        t.kind = ast::TestItem::kExpectSuppressed;
        t.name = BuildName(s->channel);
        text(s->message);
        if (s->who) t.who = name(s->who);
        if (s->reason) t.reason = name(s->reason);
      } else if (auto* k = dynamic_cast<TP::ExpectTaskContext*>(e)) {
        t.kind = ast::TestItem::kExpectTask;
        t.who = name(k->who);
        if (k->message) text(k->message);
      } else if (dynamic_cast<TP::ExpectNothingContext*>(e)) {
        t.kind = ast::TestItem::kExpectNothing;
      } else if (auto* w = dynamic_cast<TP::ExpectWaitingContext*>(e)) {
        t.kind = ast::TestItem::kExpectWaiting;
        t.name = BuildName(w->journey);
        if (w->who) t.who = name(w->who);
        if (w->label) t.label = BuildName(w->label);
      }
    }
    d.items.push_back(std::move(t));
  }
  return d;
}

/// contentClause : (SUBJECT | BODY | HTML) (STRING | FILE path=STRING)
void AstBuilder::BuildContent(TP::ContentClauseContext* ctx, ast::TemplateContent& into) {
  std::optional<ast::ContentText>* slot = ctx->SUBJECT() ? &into.subject : ctx->BODY() ? &into.body : &into.html;
  const char* what = ctx->SUBJECT() ? "subject" : ctx->BODY() ? "body" : "HTML body";
  if (*slot) Error(Code::kRepeatedClause, Range(ctx), std::string("the ") + what + " is given twice");
  ast::ContentText text;
  text.range = Range(ctx);
  if (ctx->path) {
    text.file = BuildString(ctx->path);
    text.message.range = Range(ctx->path);
  } else {
    text.message = BuildMessage(ctx->text);
  }
  *slot = std::move(text);
}

/// channelSet : channelName | '[' channelName (',' channelName)* ','? ']'
/// channelName : ident | ANY | TASK   (`task`: every task step)
ast::ChannelSet AstBuilder::BuildChannelSet(TP::ChannelSetContext* ctx) {
  ast::ChannelSet s;
  s.range = Range(ctx);
  for (auto* name : ctx->channelName()) {
    if (name->ANY()) s.any = true;
    else s.channels.push_back(name->ident() ? BuildName(name->ident()) : ast::Name{"task", Range(name)});
  }
  return s;
}

/// policyDecl : POLICY name '{' policyClause* '}'
ast::PolicyDecl AstBuilder::BuildPolicy(TP::PolicyDeclContext* ctx) {
  ast::PolicyDecl d;
  d.name = BuildName(ctx->name);
  d.range = Range(ctx);
  for (auto* clause : ctx->policyClause()) {
    ast::PolicyClause c;
    c.range = Range(clause);
    if (auto* q = dynamic_cast<TP::QuietHoursClauseContext*>(clause)) {
      c.kind = ast::PolicyClauseKind::kQuietHours;
      c.from = BuildTimeOfDay(q->from);
      c.until = BuildTimeOfDay(q->until);
      c.local = q->LOCAL() != nullptr;
      if (q->channelSet()) c.channels = BuildChannelSet(q->channelSet());
    } else if (auto* cap = dynamic_cast<TP::CapClauseContext*>(clause)) {
      c.kind = ast::PolicyClauseKind::kCap;
      c.channels = BuildChannelSet(cap->channelSet());
      c.count = BuildInt(cap->count);
      c.count_range = Range(cap->count);
      c.window = BuildDurationToken(cap->window);
    } else if (auto* a = dynamic_cast<TP::ApprovalClauseContext*>(clause)) {
      c.kind = ast::PolicyClauseKind::kRequireApproval;
      if (a->channelSet()) c.channels = BuildChannelSet(a->channelSet());
    } else if (dynamic_cast<TP::ConsentClauseContext*>(clause)) {
      c.kind = ast::PolicyClauseKind::kRequireConsent;
    } else if (auto* a = dynamic_cast<TP::ArbitrateClauseContext*>(clause)) {
      c.kind = ast::PolicyClauseKind::kArbitrate;
      if (a->window) c.window = BuildDurationToken(a->window);
      if (a->channelSet()) c.channels = BuildChannelSet(a->channelSet());
    } else if (auto* dd = dynamic_cast<TP::DedupeClauseContext*>(clause)) {
      c.kind = ast::PolicyClauseKind::kDedupe;
      if (dd->channelSet()) c.channels = BuildChannelSet(dd->channelSet());
      c.window = BuildDurationToken(dd->window);
    } else {
      continue;
    }
    d.clauses.push_back(std::move(c));
  }
  return d;
}

// ---------------------------------------------------------------- journeys

/// journeyDecl : JOURNEY name (FOR customer)? '{' journeyItem* '}'
ast::JourneyDecl AstBuilder::BuildJourney(TP::JourneyDeclContext* ctx) {
  ast::JourneyDecl j;
  j.name = BuildName(ctx->name);
  if (ctx->customer) j.customer = BuildName(ctx->customer);
  j.range = Range(ctx);
  j.steps.range = j.range;
  for (auto* item : ctx->journeyItem()) {
    if (auto* meta = item->meta()) {
      std::string keyword = meta->getStart()->getText();
      j.meta.push_back({keyword, Range(meta)});
      if (auto* t = dynamic_cast<TP::TitleMetaContext*>(meta)) j.title = BuildString(t->text);
      if (auto* o = dynamic_cast<TP::OwnerMetaContext*>(meta)) j.owner = BuildString(o->text);
      if (auto* p = dynamic_cast<TP::PriorityMetaContext*>(meta)) j.priority = BuildInt(p->value);
      if (auto* v = dynamic_cast<TP::VersionMetaContext*>(meta)) j.version = BuildInt(v->value);
      if (auto* m = dynamic_cast<TP::MigrateMetaContext*>(meta)) {
        for (auto* line : m->migration()) {
          ast::Migration mig;
          if (line->fromStep) {
            mig.from = {BuildString(line->fromStep), Range(line->fromStep)};
            mig.from_step_id = true;
          } else {
            mig.from = BuildName(line->from);
          }
          if (line->to) mig.to = BuildName(line->to);
          mig.range = Range(line);
          j.migrations.push_back(std::move(mig));
        }
      }
      if (auto* r = dynamic_cast<TP::ReentryMetaContext*>(meta)) {
        if (r->window) {
          j.reentry = ast::ReentryKind::kAfter;
          j.reentry_after = BuildDurationToken(r->window);
        } else {
          j.reentry = r->NEVER() ? ast::ReentryKind::kNever : ast::ReentryKind::kAlways;
        }
      }
    } else if (auto* trigger = item->trigger()) {
      j.triggers.push_back(BuildPattern(trigger->eventPattern()));
    } else if (auto* audience = item->audience()) {
      j.audiences.push_back({BuildName(audience->profile), BuildExpr(audience->cond),
                             Range(audience)});
    } else if (auto* exit = item->exitCriterion()) {
      j.exits.push_back({exit->kind->getType() == TP::GOAL, BuildPattern(exit->eventPattern()),
                         Range(exit)});
    } else if (auto* step = item->step()) {
      if (auto built = BuildStep(step)) j.steps.steps.push_back(std::move(built));
    }
  }
  return j;
}

/// eventPattern : event (AS binding)? (WHERE cond)?
ast::EventPattern AstBuilder::BuildPattern(TP::EventPatternContext* ctx) {
  ast::EventPattern p;
  p.event = BuildName(ctx->event);
  if (ctx->binding) p.binding = BuildName(ctx->binding);
  if (ctx->cond) p.cond = BuildExpr(ctx->cond);
  p.range = Range(ctx);
  return p;
}

/// block : '{' step* '}'
ast::Block AstBuilder::BuildBlock(TP::BlockContext* ctx) {
  ast::Block b;
  b.range = Range(ctx);
  DepthGuard guard(depth_, limits_.max_expr_depth, b.range);
  for (auto* s : ctx->step()) {
    if (auto built = BuildStep(s)) b.steps.push_back(std::move(built));
  }
  return b;
}

/// body : block | step
ast::Block AstBuilder::BuildBody(TP::BodyContext* ctx) {
  if (ctx->block()) return BuildBlock(ctx->block());
  ast::Block b;
  b.range = Range(ctx);
  DepthGuard guard(depth_, limits_.max_expr_depth, b.range);
  if (auto built = BuildStep(ctx->step())) b.steps.push_back(std::move(built));
  return b;
}

std::vector<ast::FieldInit> AstBuilder::BuildInits(TP::VarInitsContext* ctx) {
  std::vector<ast::FieldInit> out;
  if (ctx == nullptr) return out;
  for (auto* v : ctx->varInit()) out.push_back({BuildName(v->name), BuildExpr(v->value)});
  return out;
}

/// durationExpr : DURATION | '-' DURATION | INT
ast::DurationLiteral AstBuilder::BuildDuration(TP::DurationExprContext* ctx, const char* after) {
  ast::DurationLiteral d;
  d.range = Range(ctx);
  if (ctx->INT()) {
    d.valid = false;
    std::string n = ctx->INT()->getText();
    Error(Code::kBadLiteral, d.range, std::string("expected a duration such as ") + n + "d after '" + after +
                       "': add a unit (w, d, h, m, s or ms)");
    return d;
  }
  d = BuildDurationToken(ctx->DURATION()->getSymbol());
  d.range = Range(ctx);
  if (ctx->MINUS()) d.value.millis = -d.value.millis;
  return d;
}

ast::DurationLiteral AstBuilder::BuildDurationToken(antlr4::Token* token) {
  ast::DurationLiteral d;
  d.range = Range(token);
  std::string err = ParseDuration(token->getText(), &d.value.millis);
  if (!err.empty()) {
    d.valid = false;
    Error(Code::kBadLiteral, d.range, err);
  }
  return d;
}

/// timeOfDay : hour=INT ':' minute=INT
ast::TimeOfDay AstBuilder::BuildTimeOfDay(TP::TimeOfDayContext* ctx) {
  ast::TimeOfDay t;
  t.range = Range(ctx);
  t.hour = static_cast<int>(std::min<int64_t>(BuildInt(ctx->hour), 99));
  t.minute = static_cast<int>(std::min<int64_t>(BuildInt(ctx->minute), 99));
  if (t.hour > 23 || t.minute > 59 || ctx->minute->getText().size() != 2) {
    Error(Code::kBadLiteral, t.range, "expected a time of day from 00:00 to 23:59, such as 08:30");
  }
  return t;
}

/// A message string: literal text with `{expr}` holes (message.h).
ast::Message AstBuilder::BuildMessage(antlr4::Token* token) {
  SourceRange range = Range(token);
  std::string text = token->getText();
  QuotedToken q = SplitQuoted(text);
  ast::Message m = ScanMessage(
      q.body, range.begin + static_cast<uint32_t>(q.body_offset), q.raw,
      [this](Code code, SourceRange at, std::string message) { Error(code, at, std::move(message)); },
      sub_expression_);
  m.range = range;
  return m;
}

// ---------------------------------------------------------------- steps

std::unique_ptr<ast::Step> AstBuilder::BuildStep(TP::StepContext* labelled) {
  std::unique_ptr<ast::Step> out = BuildPlainStep(labelled->plainStep());
  if (out && labelled->label) out->label = BuildName(labelled->label);
  return out;
}

std::unique_ptr<ast::Step> AstBuilder::BuildPlainStep(TP::PlainStepContext* ctx) {
  if (ctx == nullptr) return nullptr;  // after a syntax error
  SourceRange range = Range(ctx);
  DepthGuard guard(depth_, limits_.max_expr_depth, range);
  std::unique_ptr<ast::Step> out;
  if (auto* s = dynamic_cast<TP::SendStepContext*>(ctx)) {
    auto step = std::make_unique<ast::SendStep>();
    step->channel = BuildName(s->channel);
    step->message = BuildMessage(s->message);
    if (s->recipient) step->recipient = BuildExpr(s->recipient);
    step->vars = BuildInits(s->varInits());
    out = std::move(step);
  } else if (auto* t = dynamic_cast<TP::TaskStepContext*>(ctx)) {
    auto step = std::make_unique<ast::TaskStep>();
    step->notify = t->verb->getType() == TP::NOTIFY;
    if (auto* routed = dynamic_cast<TP::RoutedAssigneeContext*>(t->assignee())) {
      step->route_profile = BuildName(routed->profile);
      step->route_cond = BuildExpr(routed->cond);
      if (routed->score) step->route_score = BuildExpr(routed->score);
    } else if (auto* direct = dynamic_cast<TP::DirectAssigneeContext*>(t->assignee())) {
      step->assignee = BuildExpr(direct->who);
    }
    step->message = BuildMessage(t->message);
    if (t->channel) step->channel = BuildName(t->channel);
    if (t->due) step->due = BuildDuration(t->due, "due");
    out = std::move(step);
  } else if (auto* w = dynamic_cast<TP::WaitDurationStepContext*>(ctx)) {
    auto step = std::make_unique<ast::WaitDurationStep>();
    step->duration = BuildDuration(w->durationExpr(), "wait");
    out = std::move(step);
  } else if (auto* w = dynamic_cast<TP::WaitTimeOfDayStepContext*>(ctx)) {
    auto step = std::make_unique<ast::WaitTimeOfDayStep>();
    step->time = BuildTimeOfDay(w->timeOfDay());
    step->local = w->LOCAL() != nullptr;
    out = std::move(step);
  } else if (auto* w = dynamic_cast<TP::WaitUntilStepContext*>(ctx)) {
    auto step = std::make_unique<ast::WaitUntilStep>();
    step->at = BuildExpr(w->at);
    out = std::move(step);
  } else if (auto* w = dynamic_cast<TP::WaitEventStepContext*>(ctx)) {
    auto step = std::make_unique<ast::WaitEventStep>();
    step->limit = BuildDuration(w->durationExpr(), "up to");
    step->pattern = BuildPattern(w->eventPattern());
    if (w->then) step->then = BuildBlock(w->then);
    if (w->timeout) step->timeout = BuildBlock(w->timeout);
    out = std::move(step);
  } else if (auto* i = dynamic_cast<TP::IfStepContext*>(ctx)) {
    out = BuildIf(i->ifChain());
  } else if (auto* c = dynamic_cast<TP::ChooseStepContext*>(ctx)) {
    auto step = std::make_unique<ast::ChooseStep>();
    for (auto* arm : c->whenArm()) step->arms.push_back({BuildExpr(arm->cond), BuildBody(arm->body())});
    if (c->otherwise) step->otherwise = BuildBody(c->otherwise);
    out = std::move(step);
  } else if (auto* c = dynamic_cast<TP::ChooseBestStepContext*>(ctx)) {
    auto step = std::make_unique<ast::ChooseBestStep>();
    step->score = BuildExpr(c->score);
    for (auto* arm : c->optionArm()) step->arms.push_back({BuildName(arm->option), BuildBody(arm->body())});
    if (c->otherwise) step->otherwise = BuildBody(c->otherwise);
    out = std::move(step);
  } else if (auto* s = dynamic_cast<TP::SplitStepContext*>(ctx)) {
    auto step = std::make_unique<ast::SplitStep>();
    for (auto* arm : s->splitArm()) {
      ast::SplitArm a;
      a.percent = BuildInt(arm->percent);
      a.percent_range = Join(Range(arm->percent), Range(arm->PERCENT()));
      a.label = BuildName(arm->label);
      a.body = BuildBody(arm->body());
      step->arms.push_back(std::move(a));
    }
    out = std::move(step);
  } else if (auto* s = dynamic_cast<TP::StartStepContext*>(ctx)) {
    auto step = std::make_unique<ast::StartStep>();
    step->journey = BuildName(s->journey);
    out = std::move(step);
  } else if (auto* e = dynamic_cast<TP::EmitStepContext*>(ctx)) {
    auto step = std::make_unique<ast::EmitStep>();
    step->event = BuildName(e->event);
    step->fields = BuildInits(e->varInits());
    out = std::move(step);
  } else if (auto* l = dynamic_cast<TP::LetStepContext*>(ctx)) {
    auto step = std::make_unique<ast::LetStep>();
    step->name = BuildName(l->name);
    step->value = BuildExpr(l->value);
    out = std::move(step);
  } else if (auto* s = dynamic_cast<TP::SetStepContext*>(ctx)) {
    auto step = std::make_unique<ast::SetStep>();
    step->name = BuildName(s->name);
    step->value = BuildExpr(s->value);
    out = std::move(step);
  } else if (dynamic_cast<TP::EndStepContext*>(ctx)) {
    out = std::make_unique<ast::EndStep>();
  }
  if (out) out->range = range;
  return out;
}

/// ifChain : IF cond then=block (ELSE (elseIf=ifChain | otherwise=block))?
std::unique_ptr<ast::Step> AstBuilder::BuildIf(TP::IfChainContext* ctx) {
  auto step = std::make_unique<ast::IfStep>();
  step->range = Range(ctx);
  // Else-if chains are flattened iteratively: a long chain is not deep.
  for (TP::IfChainContext* link = ctx; link != nullptr; link = link->elseIf) {
    step->branches.push_back({BuildExpr(link->cond), BuildBlock(link->then)});
    if (link->otherwise) step->otherwise = BuildBlock(link->otherwise);
  }
  return step;
}

}  // namespace tutti::compiler::internal
