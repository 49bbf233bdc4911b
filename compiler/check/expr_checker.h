#pragma once
// Types expressions. Unknown names, unknown fields, calls that match no
// overload and operators applied to the wrong types are diagnostics; the
// result is then the error type, which silences follow-on errors.

#include <map>
#include <memory>
#include <string>

#include "compiler/ast/expr.h"
#include "compiler/builtins/registry.h"
#include "compiler/check/check.h"
#include "compiler/check/symbols.h"
#include "compiler/types/type.h"

namespace tutti::compiler::internal {

/// A variable in scope: a binding (trigger, customer, wait), a `let`, the
/// `option` of a best-choice, a macro's iteration variable.
struct Variable {
  Type type;
  SourceRange declared;  // empty for implicit ones such as `now`
  bool assignable = false;  // `set` may change it (lets only)
  /// Set when the variable may be unbound here (a wait binding after a
  /// timeout that continues); the message says why.
  std::string unavailable;
};

/// Lexical scopes, innermost last. Lookups walk outward.
class Scope {
 public:
  explicit Scope(const Scope* parent = nullptr) : parent_(parent) {}
  void Define(const std::string& name, Variable v) { vars_[name] = std::move(v); }
  const Variable* Find(const std::string& name) const;
  Variable* FindLocal(const std::string& name);
  std::vector<std::string> AllNames() const;

 private:
  const Scope* parent_;
  std::map<std::string, Variable> vars_;
};

class ExprChecker {
 public:
  ExprChecker(const Source& source, const Symbols& symbols, const BuiltinRegistry& builtins,
              DiagnosticSink& sink, CheckResult& result)
      : source_(source), symbols_(symbols), builtins_(builtins), sink_(sink), result_(result), types_(result.types) {}

  /// Types `e` in `scope`; the result is also recorded in the side table.
  Type Check(const ast::Expr& e, const Scope& scope);

  /// Types `e` and reports an error unless its type is assignable to
  /// `want`; `what` names the place ("the condition after 'where'").
  Type Expect(const ast::Expr& e, const Scope& scope, const Type& want, const std::string& what);

  /// While a `choose best by` score is checked: its options' labels, the
  /// values `option` takes there (null otherwise).
  void set_options(const std::vector<ast::Name>* labels) { options_ = labels; }

  /// The type of a field of a record type, or an error type after
  /// reporting (with a "did you mean") at `at`.
  Type FieldType(const Type& record, const ast::Name& field);

  /// The schema type a TypeRef names, reporting unknown names.
  Type Resolve(const ast::TypeRef& ref);
  /// Resolve without reporting: for types declared in another file, whose
  /// problems are reported when that file is checked.
  Type ResolveQuietly(const ast::TypeRef& ref);

 private:
  Type CheckUncached(const ast::Expr& e, const Scope& scope);
  Type CheckIdent(const ast::Expr& e, const Scope& scope);
  Type CheckSelect(const ast::Expr& e, const Scope& scope);
  Type CheckCall(const ast::Expr& e, const Scope& scope);
  Type CheckMacro(const ast::Expr& e, const Scope& scope);
  Type CheckUnary(const ast::Expr& e, const Scope& scope);
  Type CheckBinary(const ast::Expr& e, const Scope& scope);
  /// `"emial" in hcp.consent`: a topic no visible channel declares (a typo)
  /// is never in anyone's consent.
  void CheckConsentTopic(const ast::Expr& e, const Type& in);
  /// A string argument that names an event, a channel or an option the
  /// function knows (registry.h, NamedArgument), given as a literal or as
  /// a `choose best` option.
  void CheckNamedArguments(const ast::Expr& e, const Overload& o);
  /// `option == "x"` in a score, where no option is labelled "x".
  void CheckOptionCompared(const ast::Expr& e);
  Type CheckIndex(const ast::Expr& e, const Scope& scope);
  Type Error(Code code, SourceRange at, std::string message);

  const Source& source_;
  const Symbols& symbols_;
  const BuiltinRegistry& builtins_;
  DiagnosticSink& sink_;
  CheckResult& result_;
  std::map<const ast::Expr*, Type>& types_;
  const std::vector<ast::Name>* options_ = nullptr;
};

}  // namespace tutti::compiler::internal
