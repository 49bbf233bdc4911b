// Implementations of stdlib/core.cc: size and CEL's type conversions.

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "stdlib/impl.h"
#include "stdlib/utf8.h"

namespace tutti::stdlib {

namespace {

using compiler::eval::Bytes;
using compiler::eval::Value;
using compiler::eval::ValueKind;
using Args = std::span<const Value>;

Value RangeError(const char* what) { return Value::Error(std::string(what) + " out of range"); }

Value Size(Args a) {
  const Value& v = a[0];
  switch (v.kind()) {
    case ValueKind::kString:
      return Value(static_cast<int64_t>(internal::CodePointCount(v.AsString())));
    case ValueKind::kBytes: return Value(static_cast<int64_t>(v.AsBytes().size()));
    case ValueKind::kList: return Value(static_cast<int64_t>(v.AsList().size()));
    case ValueKind::kMap: return Value(static_cast<int64_t>(v.AsMap().size()));
    default: return Value::Error("size: unsupported type " + compiler::eval::TypeName(v));
  }
}

Value Identity(Args a) { return a[0]; }

/// Decimal digits with an optional sign (for int) and nothing else.
bool ParseInteger(const std::string& s, bool allow_sign, __int128* out) {
  size_t i = 0;
  bool neg = false;
  if (allow_sign && i < s.size() && (s[i] == '-' || s[i] == '+')) {
    neg = s[i] == '-';
    ++i;
  }
  if (i == s.size()) return false;
  __int128 v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
    if (v > (static_cast<__int128>(1) << 65)) return false;
  }
  *out = neg ? -v : v;
  return true;
}

Value IntFromUint(Args a) {
  if (a[0].AsUint() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return RangeError("int");
  return Value(static_cast<int64_t>(a[0].AsUint()));
}

Value IntFromDouble(Args a) {
  double d = a[0].AsDouble();
  // Strictly inside (-2^63, 2^63): the boundaries themselves are rejected,
  // as in the CEL conformance tests.
  if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0)) return RangeError("int");
  return Value(static_cast<int64_t>(d));
}

Value IntFromString(Args a) {
  __int128 v;
  if (!ParseInteger(a[0].AsString(), true, &v)) return Value::Error("invalid int: \"" + a[0].AsString() + "\"");
  if (v < std::numeric_limits<int64_t>::min() || v > std::numeric_limits<int64_t>::max())
    return RangeError("int");
  return Value(static_cast<int64_t>(v));
}

Value IntFromTimestamp(Args a) { return Value(a[0].AsTimestamp().seconds); }

Value UintFromInt(Args a) {
  if (a[0].AsInt() < 0) return RangeError("uint");
  return Value(static_cast<uint64_t>(a[0].AsInt()));
}

Value UintFromDouble(Args a) {
  double d = a[0].AsDouble();
  if (!(d > -1.0 && d < 18446744073709551616.0)) return RangeError("uint");
  return Value(static_cast<uint64_t>(d));
}

Value UintFromString(Args a) {
  __int128 v;
  if (!ParseInteger(a[0].AsString(), false, &v)) return Value::Error("invalid uint: \"" + a[0].AsString() + "\"");
  if (v > std::numeric_limits<uint64_t>::max()) return RangeError("uint");
  return Value(static_cast<uint64_t>(v));
}

Value DoubleFromInt(Args a) { return Value(static_cast<double>(a[0].AsInt())); }
Value DoubleFromUint(Args a) { return Value(static_cast<double>(a[0].AsUint())); }

Value DoubleFromString(Args a) {
  const std::string& s = a[0].AsString();
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0])))
    return Value::Error("invalid double: \"" + s + "\"");
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return Value::Error("invalid double: \"" + s + "\"");
  return Value(d);
}

Value StringFromInt(Args a) { return Value(std::to_string(a[0].AsInt())); }
Value StringFromUint(Args a) { return Value(std::to_string(a[0].AsUint())); }
Value StringFromDouble(Args a) { return Value(compiler::eval::FormatDouble(a[0].AsDouble())); }
Value StringFromBool(Args a) { return Value(a[0].AsBool() ? "true" : "false"); }
Value StringFromBytes(Args a) {
  if (!internal::IsValidUtf8(a[0].AsBytes())) return Value::Error("invalid UTF-8 in bytes");
  return Value(a[0].AsBytes());
}
Value StringFromTimestamp(Args a) {
  return Value(compiler::eval::FormatTimestamp(a[0].AsTimestamp()));
}
Value StringFromDuration(Args a) {
  return Value(compiler::eval::FormatDuration(a[0].AsDuration()));
}

Value BytesFromString(Args a) { return Value(Bytes{a[0].AsString()}); }

Value BoolFromString(Args a) {
  const std::string& s = a[0].AsString();
  if (s == "1" || s == "t" || s == "true" || s == "TRUE" || s == "True" || s == "T")
    return Value(true);
  if (s == "0" || s == "f" || s == "false" || s == "FALSE" || s == "False" || s == "F")
    return Value(false);
  return Value::Error("invalid bool: \"" + s + "\"");
}

Value TimestampFromString(Args a) { return compiler::eval::ParseTimestamp(a[0].AsString()); }
Value TimestampFromInt(Args a) {
  return compiler::eval::CheckedTimestamp(static_cast<__int128>(a[0].AsInt()) * 1000000000);
}
Value DurationFromString(Args a) { return compiler::eval::ParseDuration(a[0].AsString()); }

Value TypeOf(Args a) { return Value::Type(compiler::eval::TypeName(a[0])); }

}  // namespace

void RegisterCoreImplementations(FunctionTable& t) {
  for (const char* ty : {"string", "bytes", "list<A>", "map<A, B>"}) {
    t.Add(std::string("size(") + ty + ")", Size);
    t.Add(std::string(ty) + ".size()", Size);
  }
  t.Add("int(int)", Identity);
  t.Add("int(uint)", IntFromUint);
  t.Add("int(double)", IntFromDouble);
  t.Add("int(string)", IntFromString);
  t.Add("int(timestamp)", IntFromTimestamp);
  t.Add("uint(uint)", Identity);
  t.Add("uint(int)", UintFromInt);
  t.Add("uint(double)", UintFromDouble);
  t.Add("uint(string)", UintFromString);
  t.Add("double(double)", Identity);
  t.Add("double(int)", DoubleFromInt);
  t.Add("double(uint)", DoubleFromUint);
  t.Add("double(string)", DoubleFromString);
  t.Add("string(string)", Identity);
  t.Add("string(int)", StringFromInt);
  t.Add("string(uint)", StringFromUint);
  t.Add("string(double)", StringFromDouble);
  t.Add("string(bool)", StringFromBool);
  t.Add("string(bytes)", StringFromBytes);
  t.Add("string(timestamp)", StringFromTimestamp);
  t.Add("string(duration)", StringFromDuration);
  t.Add("bytes(bytes)", Identity);
  t.Add("bytes(string)", BytesFromString);
  t.Add("bool(bool)", Identity);
  t.Add("bool(string)", BoolFromString);
  t.Add("timestamp(timestamp)", Identity);
  t.Add("timestamp(string)", TimestampFromString);
  t.Add("timestamp(int)", TimestampFromInt);
  t.Add("duration(duration)", Identity);
  t.Add("duration(string)", DurationFromString);
  t.Add("dyn(A)", Identity);
  t.Add("type(A)", TypeOf);
}

}  // namespace tutti::stdlib
