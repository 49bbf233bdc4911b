// The expressions of the journey IR, enumerated once for the liveness
// analysis and for the JIT, so that neither can miss one the engine runs.

#include <set>

#include "compiler/ir/journey_ir.h"

namespace tutti::compiler::ir {

namespace {

void AddMessage(const ast::Message& m, std::vector<const ast::Expr*>& out) {
  for (const auto& part : m.parts)
    if (part.expr) out.push_back(part.expr.get());
}

}  // namespace

std::vector<const ast::Expr*> StepExpressions(const Step& s) {
  std::vector<const ast::Expr*> out;
  auto add = [&](const ast::Expr* e) {
    if (e != nullptr) out.push_back(e);
  };
  for (const Arm& a : s.arms) add(a.cond);
  const ast::Step& src = *s.source;
  switch (src.kind) {
    case ast::StepKind::kSend: {
      const auto& st = src.As<ast::SendStep>();
      AddMessage(st.message, out);
      add(st.recipient.get());
      for (const auto& v : st.vars) add(v.value.get());
      break;
    }
    case ast::StepKind::kTask: {
      const auto& st = src.As<ast::TaskStep>();
      AddMessage(st.message, out);
      add(st.assignee.get());
      add(st.route_cond.get());
      add(st.route_score.get());
      break;
    }
    case ast::StepKind::kWaitUntil: add(src.As<ast::WaitUntilStep>().at.get()); break;
    case ast::StepKind::kWaitEvent: add(src.As<ast::WaitEventStep>().pattern.cond.get()); break;
    case ast::StepKind::kChooseBest: add(src.As<ast::ChooseBestStep>().score.get()); break;
    case ast::StepKind::kEmit:
      for (const auto& f : src.As<ast::EmitStep>().fields) add(f.value.get());
      break;
    case ast::StepKind::kLet: add(src.As<ast::LetStep>().value.get()); break;
    case ast::StepKind::kSet: add(src.As<ast::SetStep>().value.get()); break;
    default: break;
  }
  return out;
}

std::vector<const ast::Expr*> TemplateHoles(const ast::TemplateDecl& t) {
  std::vector<const ast::Expr*> out;
  for (const ast::TemplateContent& c : t.contents)
    for (const auto* part : {&c.subject, &c.body, &c.html})
      if (*part) AddMessage((*part)->message, out);
  return out;
}

std::vector<const ast::Expr*> JourneyExpressions(const Journey& j) {
  std::vector<const ast::Expr*> out;
  std::set<const ast::Expr*> seen;
  auto add = [&](const ast::Expr* e) {
    if (e != nullptr && seen.insert(e).second) out.push_back(e);
  };
  if (j.trigger) add(j.trigger->cond);
  if (j.audience) add(j.audience->cond);
  for (const Exit& x : j.exits) add(x.pattern.cond);
  for (const Step& s : j.steps) {
    if (s.pattern) add(s.pattern->cond);
    for (const ast::Expr* e : StepExpressions(s)) add(e);
  }
  return out;
}

std::vector<const ast::Expr*> ProgramExpressions(const Program& p) {
  std::vector<const ast::Expr*> out;
  for (const Journey& j : p.journeys)
    for (const ast::Expr* e : JourneyExpressions(j)) out.push_back(e);
  return out;
}

}  // namespace tutti::compiler::ir
