#include "compiler/eval/value.h"

#include <date/date.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace tutti::compiler::eval {

std::optional<size_t> RecordShape::Slot(std::string_view name) const {
  for (size_t i = 0; i < fields.size(); ++i)
    if (fields[i] == name) return i;
  return std::nullopt;
}

const Value* Record::Find(std::string_view name) const {
  auto slot = shape->Slot(name);
  return slot && *slot < values.size() ? &values[*slot] : nullptr;
}

namespace {

/// Floor division and modulo for splitting nanoseconds into seconds.
void SplitNanos(__int128 total, int64_t* seconds, int32_t* nanos) {
  __int128 s = total / kNanosPerSecond;
  __int128 n = total % kNanosPerSecond;
  if (n < 0) {
    n += kNanosPerSecond;
    s -= 1;
  }
  *seconds = static_cast<int64_t>(s);
  *nanos = static_cast<int32_t>(n);
}

std::string FractionDigits(int32_t nanos) {
  if (nanos == 0) return "";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%09d", nanos);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  return "." + s;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

bool ListsEqual(const List& a, const List& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!Equal(a[i], b[i])) return false;
  return true;
}

bool MapsEqual(const MapValue& a, const MapValue& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a.entries()) {
    const Value* other = b.Find(k);
    if (other == nullptr || !Equal(v, *other)) return false;
  }
  return true;
}

/// Compares numbers of any kinds: int/uint pairs exactly, a double against
/// an integer as doubles. Unordered when a NaN is involved.
std::partial_ordering CompareNumbers(const Value& a, const Value& b) {
  auto k1 = a.kind(), k2 = b.kind();
  if (k1 == ValueKind::kDouble || k2 == ValueKind::kDouble) {
    if (k1 == ValueKind::kDouble && k2 == ValueKind::kDouble) return a.AsDouble() <=> b.AsDouble();
    // One double, one integer: the integer is converted to double (which
    // may round, as in CEL's conformance tests: 2^63-1 equals 2^63 as double).
    bool swapped = k1 != ValueKind::kDouble;
    double d = swapped ? b.AsDouble() : a.AsDouble();
    const Value& i = swapped ? a : b;
    double id = i.is(ValueKind::kInt) ? static_cast<double>(i.AsInt())
                                      : static_cast<double>(i.AsUint());
    std::partial_ordering r = d <=> id;
    if (!swapped) return r;
    if (r == std::partial_ordering::less) return std::partial_ordering::greater;
    if (r == std::partial_ordering::greater) return std::partial_ordering::less;
    return r;
  }
  __int128 x = k1 == ValueKind::kInt ? static_cast<__int128>(a.AsInt())
                                     : static_cast<__int128>(a.AsUint());
  __int128 y = k2 == ValueKind::kInt ? static_cast<__int128>(b.AsInt())
                                     : static_cast<__int128>(b.AsUint());
  return x <=> y;
}

}  // namespace

Duration Duration::FromNanos(__int128 total) {
  Duration d;
  SplitNanos(total, &d.seconds, &d.nanos);
  return d;
}

Value Value::Error(std::string message) {
  return Value(std::make_shared<const ErrorInfo>(ErrorInfo{std::move(message)}));
}

const std::string& Value::ErrorMessage() const {
  return std::get<std::shared_ptr<const ErrorInfo>>(data_)->message;
}

std::optional<MapValue::Key> MapValue::Normalise(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kBool: return Key(v.AsBool());
    case ValueKind::kInt: return Key(static_cast<__int128>(v.AsInt()));
    case ValueKind::kUint: return Key(static_cast<__int128>(v.AsUint()));
    case ValueKind::kString: return Key(v.AsString());
    case ValueKind::kDouble: {
      double d = v.AsDouble();
      if (std::trunc(d) != d || d < -9223372036854775808.0 || d >= 18446744073709551616.0)
        return std::nullopt;
      return Key(static_cast<__int128>(d));
    }
    default: return std::nullopt;
  }
}

std::string MapValue::Insert(Value key, Value value) {
  auto k = key.kind();
  if (k != ValueKind::kBool && k != ValueKind::kInt && k != ValueKind::kUint &&
      k != ValueKind::kString)
    return "unsupported key type: " + TypeName(key);
  auto norm = Normalise(key);
  if (!index_.emplace(*norm, entries_.size()).second)
    return "Failed with repeated key: " + DebugString(key);
  entries_.emplace_back(std::move(key), std::move(value));
  return "";
}

const Value* MapValue::Find(const Value& key) const {
  auto norm = Normalise(key);
  if (!norm) return nullptr;
  auto it = index_.find(*norm);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

Value MakeMap(std::vector<std::pair<Value, Value>> entries) {
  auto m = std::make_shared<MapValue>();
  for (auto& [k, v] : entries) {
    if (k.IsError()) return k;
    if (v.IsError()) return v;
    std::string err = m->Insert(std::move(k), std::move(v));
    if (!err.empty()) return Value::Error(err);
  }
  return Value(std::shared_ptr<const MapValue>(std::move(m)));
}

bool Equal(const Value& a, const Value& b) {
  if (a.IsNumber() && b.IsNumber()) return CompareNumbers(a, b) == std::partial_ordering::equivalent;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::kNull: return true;
    case ValueKind::kBool: return a.AsBool() == b.AsBool();
    case ValueKind::kString: return a.AsString() == b.AsString();
    case ValueKind::kBytes: return a.AsBytes() == b.AsBytes();
    case ValueKind::kList: return ListsEqual(a.AsList(), b.AsList());
    case ValueKind::kMap: return MapsEqual(a.AsMap(), b.AsMap());
    case ValueKind::kTimestamp: return a.AsTimestamp() == b.AsTimestamp();
    case ValueKind::kDuration: return a.AsDuration() == b.AsDuration();
    case ValueKind::kType: return a.AsType() == b.AsType();
    case ValueKind::kRecord: {
      // Same type, same fields (by name, in any slot order), equal values.
      const Record& x = a.AsRecord();
      const Record& y = b.AsRecord();
      if (x.type_name() != y.type_name() || x.values.size() != y.values.size()) return false;
      for (size_t i = 0; i < x.values.size(); ++i) {
        const Value* other = y.Find(x.shape->fields[i]);
        if (other == nullptr || !Equal(x.values[i], *other)) return false;
      }
      return true;
    }
    default: return false;
  }
}

bool Comparable(const Value& a, const Value& b) {
  if (a.IsNumber() && b.IsNumber()) return true;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::kBool:
    case ValueKind::kString:
    case ValueKind::kBytes:
    case ValueKind::kTimestamp:
    case ValueKind::kDuration: return true;
    default: return false;
  }
}

std::optional<std::partial_ordering> Compare(const Value& a, const Value& b) {
  if (!Comparable(a, b)) return std::nullopt;
  if (a.IsNumber()) return CompareNumbers(a, b);
  switch (a.kind()) {
    case ValueKind::kBool: return a.AsBool() <=> b.AsBool();
    case ValueKind::kString: return a.AsString().compare(b.AsString()) <=> 0;
    case ValueKind::kBytes: return a.AsBytes().compare(b.AsBytes()) <=> 0;
    case ValueKind::kTimestamp: return a.AsTimestamp() <=> b.AsTimestamp();
    case ValueKind::kDuration: return a.AsDuration() <=> b.AsDuration();
    default: return std::nullopt;
  }
}

std::string TypeName(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kNull: return "null_type";
    case ValueKind::kBool: return "bool";
    case ValueKind::kInt: return "int";
    case ValueKind::kUint: return "uint";
    case ValueKind::kDouble: return "double";
    case ValueKind::kString: return "string";
    case ValueKind::kBytes: return "bytes";
    case ValueKind::kList: return "list";
    case ValueKind::kMap: return "map";
    case ValueKind::kTimestamp: return "google.protobuf.Timestamp";
    case ValueKind::kDuration: return "google.protobuf.Duration";
    case ValueKind::kType: return "type";
    case ValueKind::kRecord: return v.AsRecord().type_name();
    case ValueKind::kError: return "error";
  }
  return "?";
}

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  // sci is [-]D[.DDD]e[+-]XX
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  size_t e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  std::string digits = sci.substr(0, e);
  if (digits.size() > 1) digits.erase(1, 1);  // drop the point
  std::string out;
  if (exp < -4 || exp >= 21) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += eb;
  } else if (exp < 0) {
    out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  } else {
    size_t int_digits = static_cast<size_t>(exp) + 1;
    if (digits.size() <= int_digits) {
      out = digits + std::string(int_digits - digits.size(), '0');
    } else {
      out = digits.substr(0, int_digits) + "." + digits.substr(int_digits);
    }
  }
  return neg ? "-" + out : out;
}

std::string FormatTimestamp(Timestamp t) {
  using namespace std::chrono;
  auto days = date::floor<date::days>(sys_seconds(seconds(t.seconds)));
  date::year_month_day ymd(days);
  int64_t secs_of_day = t.seconds - int64_t{days.time_since_epoch().count()} * 86400;
  int year = static_cast<int>(ymd.year());
  char buf[64];
  if (year < 0 || year > 9999) {  // outside CEL's range: only for messages
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", year, static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), static_cast<int>(secs_of_day / 3600),
                  static_cast<int>(secs_of_day / 60 % 60), static_cast<int>(secs_of_day % 60));
    return std::string(buf) + FractionDigits(t.nanos) + "Z";
  }
  // Written digit by digit: decisions and explanations print many times,
  // and snprintf's format parsing was most of the cost.
  auto put = [](char* at, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
  };
  std::memcpy(buf, "0000-00-00T00:00:00", 19);
  put(buf, static_cast<unsigned>(year), 4);
  put(buf + 5, static_cast<unsigned>(ymd.month()), 2);
  put(buf + 8, static_cast<unsigned>(ymd.day()), 2);
  put(buf + 11, static_cast<unsigned>(secs_of_day / 3600), 2);
  put(buf + 14, static_cast<unsigned>(secs_of_day / 60 % 60), 2);
  put(buf + 17, static_cast<unsigned>(secs_of_day % 60), 2);
  std::string out(buf, 19);
  if (t.nanos != 0) out += FractionDigits(t.nanos);
  out += 'Z';
  return out;
}

std::string FormatDuration(Duration d) {
  __int128 total = d.TotalNanos();
  bool neg = total < 0;
  if (neg) total = -total;
  int64_t secs = static_cast<int64_t>(total / kNanosPerSecond);
  int32_t nanos = static_cast<int32_t>(total % kNanosPerSecond);
  return (neg ? "-" : "") + std::to_string(secs) + FractionDigits(nanos) + "s";
}

Value CheckedTimestamp(__int128 total_nanos) {
  Timestamp t;
  if (total_nanos < static_cast<__int128>(kMinTimestampSeconds) * kNanosPerSecond ||
      total_nanos >= (static_cast<__int128>(kMaxTimestampSeconds) + 1) * kNanosPerSecond)
    return Value::Error("timestamp out of range");
  SplitNanos(total_nanos, &t.seconds, &t.nanos);
  return Value(t);
}

Value CheckedDuration(__int128 total_nanos) {
  __int128 limit = static_cast<__int128>(kMaxDurationSeconds) * kNanosPerSecond;
  if (total_nanos < -limit || total_nanos > limit) return Value::Error("duration out of range");
  return Value(Duration::FromNanos(total_nanos));
}

namespace {

/// Reads exactly `n` digits at `*pos`.
bool ReadDigits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || (s[*pos] != c && !(c == 'T' && s[*pos] == 't'))) return false;
  ++*pos;
  return true;
}

}  // namespace

Value ParseTimestamp(std::string_view s) {
  auto bad = [&] { return Value::Error("invalid timestamp \"" + std::string(s) + "\""); };
  size_t p = 0;
  int year, month, day, hour, minute, second;
  // Years beyond 9999 have more digits: out of range rather than malformed.
  size_t year_digits = 0;
  while (year_digits < s.size() && s[year_digits] >= '0' && s[year_digits] <= '9') ++year_digits;
  if (year_digits > 4) return Value::Error("timestamp out of range");
  if (!ReadDigits(s, &p, 4, &year) || !Expect(s, &p, '-') || !ReadDigits(s, &p, 2, &month) ||
      !Expect(s, &p, '-') || !ReadDigits(s, &p, 2, &day) || !Expect(s, &p, 'T') ||
      !ReadDigits(s, &p, 2, &hour) || !Expect(s, &p, ':') || !ReadDigits(s, &p, 2, &minute) ||
      !Expect(s, &p, ':') || !ReadDigits(s, &p, 2, &second))
    return bad();
  int64_t nanos = 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    size_t digits = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (s[p] - '0');
      ++digits;
      ++p;
    }
    if (digits == 0) return bad();
    for (size_t i = digits; i < 9; ++i) nanos *= 10;
  }
  int64_t offset = 0;
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    int sign = s[p] == '-' ? -1 : 1;
    ++p;
    int oh, om;
    if (!ReadDigits(s, &p, 2, &oh) || !Expect(s, &p, ':') || !ReadDigits(s, &p, 2, &om) ||
        oh > 23 || om > 59)
      return bad();
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return bad();
  }
  if (p != s.size() || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60)
    return bad();
  date::year_month_day ymd{date::year(year), date::month(static_cast<unsigned>(month)),
                           date::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return bad();
  if (year == 0) return Value::Error("timestamp out of range");
  int64_t days = date::sys_days(ymd).time_since_epoch().count();
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset;
  return CheckedTimestamp(static_cast<__int128>(secs) * kNanosPerSecond + nanos);
}

Value ParseDuration(std::string_view text) {
  auto bad = [&] { return Value::Error("invalid duration \"" + std::string(text) + "\""); };
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Value(Duration{});
  if (s.empty()) return bad();
  __int128 total = 0;
  const __int128 kLimit = static_cast<__int128>(1) << 100;
  while (!s.empty()) {
    // number: digits [. digits]
    __int128 whole = 0;
    size_t i = 0;
    bool any = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + (s[i] - '0');
      if (whole > kLimit) return Value::Error("duration out of range");
      ++i;
      any = true;
    }
    __int128 frac = 0, frac_scale = 1;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (frac_scale < static_cast<__int128>(1000000000000000000LL)) {
          frac = frac * 10 + (s[i] - '0');
          frac_scale *= 10;
        }
        ++i;
        any = true;
      }
    }
    if (!any) return bad();
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && !(s[u] >= '0' && s[u] <= '9') && s[u] != '.') ++u;
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    __int128 scale;
    if (unit == "ns") scale = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") scale = 1000;
    else if (unit == "ms") scale = 1000000;
    else if (unit == "s") scale = kNanosPerSecond;
    else if (unit == "m") scale = 60 * kNanosPerSecond;
    else if (unit == "h") scale = 3600 * kNanosPerSecond;
    else return bad();
    total += whole * scale + frac * scale / frac_scale;
    if (total > kLimit) return Value::Error("duration out of range");
  }
  return CheckedDuration(neg ? -total : total);
}

std::string DebugString(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kNull: return "null";
    case ValueKind::kBool: return v.AsBool() ? "true" : "false";
    case ValueKind::kInt: return std::to_string(v.AsInt());
    case ValueKind::kUint: return std::to_string(v.AsUint()) + "u";
    case ValueKind::kDouble: {
      std::string s = FormatDouble(v.AsDouble());
      if (s.find_first_of(".eNI") == std::string::npos) s += ".0";
      return s;
    }
    case ValueKind::kString: return Quote(v.AsString());
    case ValueKind::kBytes: return "b" + Quote(v.AsBytes());
    case ValueKind::kList: {
      std::string out = "[";
      const char* sep = "";
      for (const Value& e : v.AsList()) {
        out += sep + DebugString(e);
        sep = ", ";
      }
      return out + "]";
    }
    case ValueKind::kMap: {
      std::string out = "{";
      const char* sep = "";
      for (const auto& [k, e] : v.AsMap().entries()) {
        out += sep + DebugString(k) + ": " + DebugString(e);
        sep = ", ";
      }
      return out + "}";
    }
    case ValueKind::kTimestamp: return "timestamp(\"" + FormatTimestamp(v.AsTimestamp()) + "\")";
    case ValueKind::kDuration: return "duration(\"" + FormatDuration(v.AsDuration()) + "\")";
    case ValueKind::kType: return "type(" + v.AsType() + ")";
    case ValueKind::kRecord: {
      const Record& r = v.AsRecord();
      std::string out = r.type_name() + "{";
      const char* sep = "";
      for (size_t i = 0; i < r.values.size(); ++i) {
        out += sep + r.shape->fields[i] + ": " + DebugString(r.values[i]);
        sep = ", ";
      }
      return out + "}";
    }
    case ValueKind::kError: return "error(" + Quote(v.ErrorMessage()) + ")";
  }
  return "?";
}

}  // namespace tutti::compiler::eval
