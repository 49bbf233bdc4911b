#pragma once
// Reading the shape of a condition: its `&&`-ed parts and the equalities
// among them that tie two records together (`hcp.account == win.account`).
// The checker uses these to insist that an audience or a wait is tied to
// the journey's customer; the lowering pass uses the same equalities to
// route events and to index audiences.

#include <optional>
#include <string>
#include <vector>

#include "compiler/ast/expr.h"

namespace tutti::compiler::ast {

/// The `&&`-ed parts of `cond` in source order (`cond` itself when it is not
/// an `&&`); nothing when `cond` is null.
std::vector<const Expr*> Conjuncts(const Expr* cond);

/// Whether `e` is `var.field` (an empty `field` matches any field).
bool IsFieldOf(const Expr& e, const std::string& var, const std::string& field);

/// An `&&`-ed part `a.FA == b.FB` (either way round).
struct Equality {
  std::string a_field;  // the field selected on `a`
  std::string b_field;  // the field selected on `b`
};

/// The first `&&`-ed part of `cond` equating a field of `a` with a field of
/// `b` (restricted to `fa` / `fb` when they are not empty), if there is one.
std::optional<Equality> FindEquality(const Expr* cond, const std::string& a, const std::string& fa,
                                     const std::string& b, const std::string& fb);

/// Whether `e` reads the name `name`, as `name` or `.name` (a macro's own
/// variable of that name inside the macro does not count).
bool ReadsName(const Expr* e, const std::string& name);

/// Whether `a` and `b` are the same expression when the name `a_var` in `a`
/// is read as `b_var` in `b` (how two patterns on one event, each binding
/// it to its own name, compare).
bool SameExpr(const Expr& a, const std::string& a_var, const Expr& b, const std::string& b_var);

/// Why `cond` can never be true, when two of its `&&`-ed parts contradict
/// each other: one value tested equal to two different literals
/// (`e.brand == "A" && e.brand == "B"`), equal and unequal to one, or equal
/// to one a list literal after `in` does not hold. Otherwise nothing.
std::optional<std::string> NeverTrue(const Expr* cond);

}  // namespace tutti::compiler::ast
