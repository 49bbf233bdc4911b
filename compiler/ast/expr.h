#pragma once
// Expressions: CEL's syntax tree plus our duration literal. The tree is
// immutable after parsing; the checker keeps types in side tables keyed by
// node address.

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "compiler/source/source.h"

namespace tutti::compiler::ast {

/// A name as written, with where it was written.
struct Name {
  std::string text;
  SourceRange range;
};

/// A duration in milliseconds. `7d` is 604800000.
struct Duration {
  int64_t millis = 0;
};

struct NullValue {};
struct Bytes {
  std::string data;
};
using Literal = std::variant<NullValue, bool, int64_t, uint64_t, double,
                             std::string, Bytes, Duration>;

enum class ExprKind {
  kLiteral,      // literal
  kIdent,        // name (leading_dot for `.name`)
  kSelect,       // target.name
  kHas,          // has(target.name): args[0] is the select
  kCall,         // name(args) or target.name(args) when target is set
  kMacro,        // target.name(var, args...): all exists exists_one map filter
  kIndex,        // target[args[0]]
  kList,         // [args...]
  kMap,          // {args[0]: args[1], args[2]: args[3], ...}
  kUnary,        // op target
  kBinary,       // args[0] op args[1]
  kConditional,  // args[0] ? args[1] : args[2]
};

enum class Op {
  kNone, kNot, kNegate,
  kOr, kAnd,
  kEq, kNe, kLt, kLe, kGt, kGe, kIn,
  kAdd, kSub, kMul, kDiv, kMod,
};

/// The operator as CEL spells it ("&&", "in", "-", ...).
const char* OpSpelling(Op op);

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  SourceRange range;
  Op op = Op::kNone;
  Literal literal;
  /// Identifier, field, function or macro name; `name.range` points at it.
  Name name;
  /// Macro iteration variable (`x` in `list.all(x, p)`).
  Name var;
  bool leading_dot = false;
  std::unique_ptr<Expr> target;
  std::vector<std::unique_ptr<Expr>> args;
};

using ExprPtr = std::unique_ptr<Expr>;

/// A stable, fully parenthesised rendering for tests and diagrams.
std::string DebugString(const Expr& e);
/// A rendering close to how a user would write it, for diagram labels.
std::string ToSource(const Expr& e);

}  // namespace tutti::compiler::ast
