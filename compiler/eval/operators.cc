#include "compiler/eval/operators.h"

#include <cmath>
#include <limits>

#include "compiler/eval/value.h"

namespace tutti::compiler::eval {

namespace {

Value Overflow() { return Value::Error("integer overflow"); }

__int128 TimestampNanos(Timestamp t) {
  return static_cast<__int128>(t.seconds) * kNanosPerSecond + t.nanos;
}

bool Same(const Value& a, const Value& b, ValueKind k) { return a.is(k) && b.is(k); }

/// The index of a list as an int64, accepting integral doubles and uints.
bool IntegralIndex(const Value& v, int64_t* out) {
  switch (v.kind()) {
    case ValueKind::kInt: *out = v.AsInt(); return true;
    case ValueKind::kUint:
      if (v.AsUint() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) *out = -1;
      else *out = static_cast<int64_t>(v.AsUint());
      return true;
    case ValueKind::kDouble: {
      double d = v.AsDouble();
      if (std::trunc(d) != d || !(d > -9.3e18 && d < 9.3e18)) return false;
      *out = static_cast<int64_t>(d);
      return true;
    }
    default: return false;
  }
}

}  // namespace

Value NoOverload(std::string_view op, const Value& a) {
  return Value::Error("no matching overload for '" + std::string(op) + "' applied to (" +
                      TypeName(a) + ")");
}

Value NoOverload(std::string_view op, const Value& a, const Value& b) {
  return Value::Error("no matching overload for '" + std::string(op) + "' applied to (" +
                      TypeName(a) + ", " + TypeName(b) + ")");
}

#define TUTTI_PROPAGATE2(a, b) \
  if ((a).IsError()) return (a);  \
  if ((b).IsError()) return (b)

Value Add(const Value& a, const Value& b) {
  TUTTI_PROPAGATE2(a, b);
  if (Same(a, b, ValueKind::kInt)) {
    int64_t r;
    if (__builtin_add_overflow(a.AsInt(), b.AsInt(), &r)) return Overflow();
    return Value(r);
  }
  if (Same(a, b, ValueKind::kUint)) {
    uint64_t r;
    if (__builtin_add_overflow(a.AsUint(), b.AsUint(), &r)) return Overflow();
    return Value(r);
  }
  if (Same(a, b, ValueKind::kDouble)) return Value(a.AsDouble() + b.AsDouble());
  if (Same(a, b, ValueKind::kString)) return Value(a.AsString() + b.AsString());
  if (Same(a, b, ValueKind::kBytes)) return Value(Bytes{a.AsBytes() + b.AsBytes()});
  if (Same(a, b, ValueKind::kList)) {
    List out = a.AsList();
    out.insert(out.end(), b.AsList().begin(), b.AsList().end());
    return Value(std::move(out));
  }
  if (Same(a, b, ValueKind::kDuration))
    return CheckedDuration(a.AsDuration().TotalNanos() + b.AsDuration().TotalNanos());
  if (a.is(ValueKind::kTimestamp) && b.is(ValueKind::kDuration))
    return CheckedTimestamp(TimestampNanos(a.AsTimestamp()) + b.AsDuration().TotalNanos());
  if (a.is(ValueKind::kDuration) && b.is(ValueKind::kTimestamp))
    return CheckedTimestamp(TimestampNanos(b.AsTimestamp()) + a.AsDuration().TotalNanos());
  return NoOverload("+", a, b);
}

Value Subtract(const Value& a, const Value& b) {
  TUTTI_PROPAGATE2(a, b);
  if (Same(a, b, ValueKind::kInt)) {
    int64_t r;
    if (__builtin_sub_overflow(a.AsInt(), b.AsInt(), &r)) return Overflow();
    return Value(r);
  }
  if (Same(a, b, ValueKind::kUint)) {
    uint64_t r;
    if (__builtin_sub_overflow(a.AsUint(), b.AsUint(), &r)) return Overflow();
    return Value(r);
  }
  if (Same(a, b, ValueKind::kDouble)) return Value(a.AsDouble() - b.AsDouble());
  if (Same(a, b, ValueKind::kDuration))
    return CheckedDuration(a.AsDuration().TotalNanos() - b.AsDuration().TotalNanos());
  if (Same(a, b, ValueKind::kTimestamp)) {
    // As in cel-cpp and cel-go, the difference of two timestamps must fit
    // in 64-bit nanoseconds (about ±292 years), although durations may
    // otherwise span ±10000 years.
    __int128 diff = TimestampNanos(a.AsTimestamp()) - TimestampNanos(b.AsTimestamp());
    if (diff < std::numeric_limits<int64_t>::min() || diff > std::numeric_limits<int64_t>::max())
      return Value::Error("duration out of range");
    return CheckedDuration(diff);
  }
  if (a.is(ValueKind::kTimestamp) && b.is(ValueKind::kDuration))
    return CheckedTimestamp(TimestampNanos(a.AsTimestamp()) - b.AsDuration().TotalNanos());
  return NoOverload("-", a, b);
}

Value Multiply(const Value& a, const Value& b) {
  TUTTI_PROPAGATE2(a, b);
  if (Same(a, b, ValueKind::kInt)) {
    int64_t r;
    if (__builtin_mul_overflow(a.AsInt(), b.AsInt(), &r)) return Overflow();
    return Value(r);
  }
  if (Same(a, b, ValueKind::kUint)) {
    uint64_t r;
    if (__builtin_mul_overflow(a.AsUint(), b.AsUint(), &r)) return Overflow();
    return Value(r);
  }
  if (Same(a, b, ValueKind::kDouble)) return Value(a.AsDouble() * b.AsDouble());
  return NoOverload("*", a, b);
}

Value Divide(const Value& a, const Value& b) {
  TUTTI_PROPAGATE2(a, b);
  if (Same(a, b, ValueKind::kInt)) {
    if (b.AsInt() == 0) return Value::Error("division by zero");
    if (a.AsInt() == std::numeric_limits<int64_t>::min() && b.AsInt() == -1) return Overflow();
    return Value(a.AsInt() / b.AsInt());
  }
  if (Same(a, b, ValueKind::kUint)) {
    if (b.AsUint() == 0) return Value::Error("division by zero");
    return Value(a.AsUint() / b.AsUint());
  }
  if (Same(a, b, ValueKind::kDouble)) return Value(a.AsDouble() / b.AsDouble());
  return NoOverload("/", a, b);
}

Value Modulo(const Value& a, const Value& b) {
  TUTTI_PROPAGATE2(a, b);
  if (Same(a, b, ValueKind::kInt)) {
    if (b.AsInt() == 0) return Value::Error("modulus by zero");
    if (a.AsInt() == std::numeric_limits<int64_t>::min() && b.AsInt() == -1) return Overflow();
    return Value(a.AsInt() % b.AsInt());
  }
  if (Same(a, b, ValueKind::kUint)) {
    if (b.AsUint() == 0) return Value::Error("modulus by zero");
    return Value(a.AsUint() % b.AsUint());
  }
  return NoOverload("%", a, b);
}

Value Negate(const Value& a) {
  if (a.IsError()) return a;
  if (a.is(ValueKind::kInt)) {
    if (a.AsInt() == std::numeric_limits<int64_t>::min()) return Overflow();
    return Value(-a.AsInt());
  }
  if (a.is(ValueKind::kDouble)) return Value(-a.AsDouble());
  return NoOverload("-", a);
}

Value Not(const Value& a) {
  if (a.IsError()) return a;
  if (a.is(ValueKind::kBool)) return Value(!a.AsBool());
  return NoOverload("!", a);
}

Value Equals(const Value& a, const Value& b) {
  TUTTI_PROPAGATE2(a, b);
  return Value(Equal(a, b));
}

Value NotEquals(const Value& a, const Value& b) {
  TUTTI_PROPAGATE2(a, b);
  return Value(!Equal(a, b));
}

Value Relation(ast::Op op, const Value& a, const Value& b) {
  TUTTI_PROPAGATE2(a, b);
  if (!Comparable(a, b)) return NoOverload(ast::OpSpelling(op), a, b);
  std::partial_ordering c = *Compare(a, b);
  switch (op) {
    case ast::Op::kLt: return Value(c < 0);
    case ast::Op::kLe: return Value(c <= 0);
    case ast::Op::kGt: return Value(c > 0);
    case ast::Op::kGe: return Value(c >= 0);
    default: return NoOverload(ast::OpSpelling(op), a, b);
  }
}

Value In(const Value& a, const Value& b) {
  TUTTI_PROPAGATE2(a, b);
  if (b.is(ValueKind::kList)) {
    for (const Value& e : b.AsList())
      if (Equal(a, e)) return Value(true);
    return Value(false);
  }
  if (b.is(ValueKind::kMap)) return Value(b.AsMap().Find(a) != nullptr);
  return NoOverload("in", a, b);
}

Value Index(const Value& a, const Value& b) {
  TUTTI_PROPAGATE2(a, b);
  if (a.is(ValueKind::kList)) {
    int64_t i;
    if (!IntegralIndex(b, &i)) return NoOverload("[]", a, b);
    const List& list = a.AsList();
    if (i < 0 || static_cast<uint64_t>(i) >= list.size())
      return Value::Error("index out of range: " + std::to_string(i));
    return list[static_cast<size_t>(i)];
  }
  if (a.is(ValueKind::kMap)) {
    auto k = b.kind();
    if (k != ValueKind::kBool && k != ValueKind::kInt && k != ValueKind::kUint &&
        k != ValueKind::kString && k != ValueKind::kDouble)
      return NoOverload("[]", a, b);
    const Value* v = a.AsMap().Find(b);
    if (v == nullptr) return Value::Error("no such key: " + DebugString(b));
    return *v;
  }
  return NoOverload("[]", a, b);
}

Value SelectField(const Value& a, const std::string& field) {
  if (a.IsError()) return a;
  if (a.is(ValueKind::kMap)) {
    const Value* v = a.AsMap().Find(Value(field));
    if (v == nullptr) return Value::Error("no such key: " + field);
    return *v;
  }
  if (a.is(ValueKind::kRecord)) {
    // The checker has verified the field against the schema; an unset field
    // reads as null.
    const Value* v = a.AsRecord().Find(field);
    return v == nullptr ? Value() : *v;
  }
  return Value::Error("type '" + TypeName(a) + "' does not support field selection");
}

Value HasField(const Value& a, const std::string& field) {
  if (a.IsError()) return a;
  if (a.is(ValueKind::kMap)) return Value(a.AsMap().Find(Value(field)) != nullptr);
  if (a.is(ValueKind::kRecord)) {
    const Value* v = a.AsRecord().Find(field);
    return Value(v != nullptr && !v->is(ValueKind::kNull));
  }
  return Value::Error("invalid type for has(): " + TypeName(a));
}

Value ApplyBinary(ast::Op op, const Value& a, const Value& b) {
  switch (op) {
    case ast::Op::kAdd: return Add(a, b);
    case ast::Op::kSub: return Subtract(a, b);
    case ast::Op::kMul: return Multiply(a, b);
    case ast::Op::kDiv: return Divide(a, b);
    case ast::Op::kMod: return Modulo(a, b);
    case ast::Op::kEq: return Equals(a, b);
    case ast::Op::kNe: return NotEquals(a, b);
    case ast::Op::kLt:
    case ast::Op::kLe:
    case ast::Op::kGt:
    case ast::Op::kGe: return Relation(op, a, b);
    case ast::Op::kIn: return In(a, b);
    default: return Value::Error(std::string("unexpected operator ") + ast::OpSpelling(op));
  }
}

}  // namespace tutti::compiler::eval
