#include "compiler/ast/conditions.h"

namespace tutti::compiler::ast {
namespace {

void Collect(const Expr* e, std::vector<const Expr*>& out) {
  if (e == nullptr) return;
  if (e->kind == ExprKind::kBinary && e->op == Op::kAnd) {
    Collect(e->args[0].get(), out);
    Collect(e->args[1].get(), out);
  } else {
    out.push_back(e);
  }
}

}  // namespace

std::vector<const Expr*> Conjuncts(const Expr* cond) {
  std::vector<const Expr*> out;
  Collect(cond, out);
  return out;
}

bool IsFieldOf(const Expr& e, const std::string& var, const std::string& field) {
  return e.kind == ExprKind::kSelect && e.target->kind == ExprKind::kIdent &&
         e.target->name.text == var && (field.empty() || e.name.text == field);
}

std::optional<Equality> FindEquality(const Expr* cond, const std::string& a, const std::string& fa,
                                     const std::string& b, const std::string& fb) {
  for (const Expr* p : Conjuncts(cond)) {
    if (p->kind != ExprKind::kBinary || p->op != Op::kEq) continue;
    const Expr& l = *p->args[0];
    const Expr& r = *p->args[1];
    if (IsFieldOf(l, a, fa) && IsFieldOf(r, b, fb)) return Equality{l.name.text, r.name.text};
    if (IsFieldOf(r, a, fa) && IsFieldOf(l, b, fb)) return Equality{r.name.text, l.name.text};
  }
  return std::nullopt;
}

}  // namespace tutti::compiler::ast
