#pragma once
// CEL's operators on run-time values, as free functions that both the
// interpreter and the JIT call. Each is strict: an error operand is
// returned as is (the first one), and a kind the operator does not accept
// gives a "no matching overload" error. Integer overflow, division or
// modulo by zero, and results outside the timestamp/duration ranges are
// errors, never undefined behaviour.

#include "compiler/ast/expr.h"
#include "compiler/eval/value.h"

namespace tutti::compiler::eval {

Value Add(const Value& a, const Value& b);       // numbers, strings, bytes, lists, time
Value Subtract(const Value& a, const Value& b);  // numbers, time
Value Multiply(const Value& a, const Value& b);
Value Divide(const Value& a, const Value& b);
Value Modulo(const Value& a, const Value& b);    // int and uint only
Value Negate(const Value& a);                    // int and double
Value Not(const Value& a);                       // bool
/// `==` and `!=`: heterogeneous, so 1 == 1.0 and 1 == "1" is false.
Value Equals(const Value& a, const Value& b);
Value NotEquals(const Value& a, const Value& b);
/// `<`, `<=`, `>`, `>=` on comparable kinds; NaN gives false.
Value Relation(ast::Op op, const Value& a, const Value& b);
/// `a in b` for a list or a map (key membership).
Value In(const Value& a, const Value& b);
/// `a[b]` for lists (integral index) and maps.
Value Index(const Value& a, const Value& b);
/// `a.field` for maps (string key) and records.
Value SelectField(const Value& a, const std::string& field);
/// Whether `a.field` is present, for has(): map key or set record field.
Value HasField(const Value& a, const std::string& field);

/// The binary operator `op` (not && or ||, which are not strict).
Value ApplyBinary(ast::Op op, const Value& a, const Value& b);

/// "no matching overload for 'op' applied to (int, string)".
Value NoOverload(std::string_view op, const Value& a);
Value NoOverload(std::string_view op, const Value& a, const Value& b);

}  // namespace tutti::compiler::eval
