#pragma once
// The tree-walking interpreter for expressions: evaluates an AST against an
// activation (variable name -> value) with CEL's semantics. Errors are
// values: the result is an error value for division by zero, overflow, a
// missing key and the like; evaluation never throws and never crashes on
// bad data.

#include <forward_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/ast/expr.h"
#include "compiler/eval/functions.h"
#include "compiler/eval/value.h"

namespace tutti::compiler::eval {

/// Variables visible to an expression. Names may be qualified ("a.b.c"):
/// `a.b.c` in an expression resolves to the longest bound prefix. A child
/// activation (for a macro's iteration variable) shadows its parent.
class Activation {
 public:
  Activation() = default;
  explicit Activation(const Activation* parent) : parent_(parent) {}
  // A copy's names would point into the original's copies_.
  Activation(const Activation&) = delete;
  Activation& operator=(const Activation&) = delete;

  /// Binds or rebinds `name`, which is borrowed: it must outlive this
  /// activation (a name from the program, or a literal). Engines bind
  /// several names per step, and copying each was a measurable share of
  /// an event's trip.
  void Bind(std::string_view name, Value value);
  void Bind(const char* name, Value value) { Bind(std::string_view(name), std::move(value)); }
  /// A temporary name would dangle: bind it with BindCopy.
  void Bind(std::string&& name, Value value) = delete;
  /// Binds or rebinds `name`, keeping a copy of it here.
  void BindCopy(std::string name, Value value);
  /// The value bound to `name` here or in a parent, or null.
  const Value* Find(std::string_view name) const;
  /// Whether any name bound here or in a parent is qualified (has a dot).
  bool HasQualifiedNames() const { return qualified_ || (parent_ && parent_->HasQualifiedNames()); }

 private:
  // A handful of names at most (an event, a customer, `now`, a journey's
  // variables): a few inline entries searched in order beat any map, and
  // allocate nothing.
  static constexpr size_t kInline = 6;
  const Activation* parent_ = nullptr;
  bool qualified_ = false;
  size_t count_ = 0;  // bindings held inline
  std::pair<std::string_view, Value> inline_[kInline];
  std::vector<std::pair<std::string_view, Value>> more_;  // beyond kInline
  std::forward_list<std::string> copies_;  // names BindCopy keeps (nodes never move)
};

/// The dotted name of a chain of identifiers and selections (`a.b.c`), or
/// nullopt if `e` is anything else.
std::optional<std::string> QualifiedName(const ast::Expr& e);
/// A literal's value (a duration literal outside CEL's range is an error
/// value). Both engines make literals through here.
Value LiteralValue(const ast::Literal& literal);
/// The type a name denotes when no variable shadows it (`int`,
/// `google.protobuf.Timestamp`), as a type value.
std::optional<Value> TypeDenotation(std::string_view name);

/// Evaluates `expr`. Calls to built-ins dispatch on the run-time kinds of
/// their arguments to a registry overload, then call its implementation
/// from `functions`; an argument that is an error is the result.
///
/// Macros follow CEL: `all` is false if any element gives false, even when
/// others give errors, and an error otherwise; `exists` dually; `&&` and
/// `||` absorb an error on one side when the other side decides.
Value Evaluate(const ast::Expr& expr, const Activation& activation, const Functions& functions);

}  // namespace tutti::compiler::eval
