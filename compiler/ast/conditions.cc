#include "compiler/ast/conditions.h"

#include <map>

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

bool ReadsName(const Expr* e, const std::string& name) {
  if (e == nullptr) return false;
  if (e->kind == ExprKind::kIdent) return e->name.text == name;  // `.name` reads it too
  if (e->kind == ExprKind::kMacro && e->var.text == name) return ReadsName(e->target.get(), name);
  if (ReadsName(e->target.get(), name)) return true;
  for (const auto& a : e->args)
    if (ReadsName(a.get(), name)) return true;
  return false;
}

bool SameExpr(const Expr& a, const std::string& a_var, const Expr& b, const std::string& b_var) {
  if (a.kind != b.kind || a.op != b.op || a.leading_dot != b.leading_dot || a.args.size() != b.args.size() ||
      (a.target == nullptr) != (b.target == nullptr))
    return false;
  switch (a.kind) {
    case ExprKind::kLiteral:
      return ToSource(a) == ToSource(b);
    case ExprKind::kIdent:
      return a.name.text == a_var ? b.name.text == b_var : b.name.text != b_var && a.name.text == b.name.text;
    case ExprKind::kMacro:
      // The iteration variable is the macro's own: compare it as a name.
      if (a.var.text != b.var.text) return false;
      [[fallthrough]];
    default:
      if (a.name.text != b.name.text) return false;
  }
  if (a.target && !SameExpr(*a.target, a_var, *b.target, b_var)) return false;
  for (size_t i = 0; i < a.args.size(); ++i)
    if (!SameExpr(*a.args[i], a_var, *b.args[i], b_var)) return false;
  return true;
}

namespace {

// `x.f` or `x`: a value the condition reads, not one it computes.
bool IsPlainValue(const Expr& e) {
  if (e.kind == ExprKind::kIdent) return true;
  return e.kind == ExprKind::kSelect && IsPlainValue(*e.target);
}

// A literal of a kind compared by its spelling: strings and bools (numbers
// are left out: CEL finds 1 == 1.0).
bool IsPlainLiteral(const Expr& e) {
  return e.kind == ExprKind::kLiteral &&
         (std::holds_alternative<std::string>(e.literal) || std::holds_alternative<bool>(e.literal));
}

}  // namespace

std::optional<std::string> NeverTrue(const Expr* cond) {
  std::map<std::string, std::string> equal;  // value -> the literal it must equal
  std::map<std::string, std::vector<std::string>> unequal, among;
  for (const Expr* p : Conjuncts(cond)) {
    if (p->kind != ExprKind::kBinary) continue;
    const Expr* value = p->args[0].get();
    const Expr* literal = p->args[1].get();
    if (p->op == Op::kIn) {
      if (!IsPlainValue(*value) || literal->kind != ExprKind::kList) continue;
      std::vector<std::string> options;
      for (const auto& item : literal->args) {
        if (!IsPlainLiteral(*item)) {
          options.clear();
          break;
        }
        options.push_back(ToSource(*item));
      }
      if (!options.empty()) among[ToSource(*value)] = options;
      continue;
    }
    if (p->op != Op::kEq && p->op != Op::kNe) continue;
    if (!IsPlainValue(*value)) std::swap(value, literal);
    if (!IsPlainValue(*value) || !IsPlainLiteral(*literal)) continue;
    std::string v = ToSource(*value), l = ToSource(*literal);
    if (p->op == Op::kNe) {
      unequal[v].push_back(l);
      continue;
    }
    auto [it, inserted] = equal.emplace(v, l);
    if (!inserted && it->second != l) return v + " cannot be both " + it->second + " and " + l;
  }
  for (const auto& [v, l] : equal) {
    for (const std::string& u : unequal[v])
      if (u == l) return v + " cannot be " + l + " and not " + l;
    auto it = among.find(v);
    if (it == among.end()) continue;
    bool found = false;
    for (const std::string& o : it->second) found |= o == l;
    if (!found) return v + " == " + l + " cannot be among the values after 'in'";
  }
  return std::nullopt;
}

}  // namespace tutti::compiler::ast
