#pragma once
// CEL's run-time values: null, bool, int, uint, double, string, bytes, list,
// map, timestamp, duration, type values, schema records, and errors. Errors
// are values (never C++ exceptions): an operation on a bad operand returns
// an error value that carries a message, and errors propagate through
// strict operations.
//
// A Value is small (a kind tag plus a variant); lists, maps, records and
// errors are shared and immutable, so copying a Value never copies a
// container.

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tutti::compiler::eval {

enum class ValueKind {
  kNull, kBool, kInt, kUint, kDouble, kString, kBytes,
  kList, kMap, kTimestamp, kDuration, kType, kRecord, kError,
};

/// The valid range of timestamps: 0001-01-01T00:00:00Z to
/// 9999-12-31T23:59:59.999999999Z, in seconds since the Unix epoch.
inline constexpr int64_t kMinTimestampSeconds = -62135596800;
inline constexpr int64_t kMaxTimestampSeconds = 253402300799;
/// The valid range of durations: about ±10000 years, as in CEL.
inline constexpr int64_t kMaxDurationSeconds = 315576000000;
/// Nanoseconds in a second: a timestamp's and a duration's two parts.
inline constexpr int64_t kNanosPerSecond = 1000000000;

/// A point in time: seconds since the Unix epoch and a nanosecond part in
/// [0, 1e9). Ordered chronologically.
struct Timestamp {
  int64_t seconds = 0;
  int32_t nanos = 0;
  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
};

/// A signed span of time: seconds and a nanosecond part in [0, 1e9), so
/// -1.5s is {-2, 500000000}. Ordered by length.
struct Duration {
  int64_t seconds = 0;
  int32_t nanos = 0;
  friend auto operator<=>(const Duration&, const Duration&) = default;

  static Duration FromNanos(__int128 total);
  __int128 TotalNanos() const { return static_cast<__int128>(seconds) * 1000000000 + nanos; }
};

struct NullValue {
  friend bool operator==(NullValue, NullValue) { return true; }
};
/// Bytes are kept apart from strings by type only.
struct Bytes {
  std::string data;
};
/// A type as a value: `int`, `list`, `google.protobuf.Timestamp`, a record
/// name. Two types are equal when their names are.
struct TypeValue {
  std::string name;
};

class Value;
struct ErrorInfo;
class MapValue;

/// The layout of a record type: its name and its field names in slot
/// order. One shape serves every record of a type (the runtime's
/// SchemaTable owns the shapes of declared events and profiles) and must
/// outlive them.
struct RecordShape {
  std::string type_name;
  std::vector<std::string> fields;
  /// The slot of field `name`, if the shape has one.
  std::optional<size_t> Slot(std::string_view name) const;
};

/// A schema record (a profile or an event), flat: one value per field of
/// its shape, in slot order (null for an unset field).
///
///   shape ──► { "hcp", [id, name, email, ...] }
///   values:   [ "hcp-1", "Dr. A", null, ... ]
struct Record {
  const RecordShape* shape = nullptr;
  std::vector<Value> values;

  const std::string& type_name() const { return shape->type_name; }
  /// The value of field `name`, or null when the shape has no such field.
  const Value* Find(std::string_view name) const;
};

using List = std::vector<Value>;

class Value {
 public:
  Value() = default;  // null
  Value(NullValue) {}
  Value(bool v) : data_(v) {}
  Value(int64_t v) : data_(v) {}
  Value(int v) : data_(static_cast<int64_t>(v)) {}
  Value(uint64_t v) : data_(v) {}
  Value(double v) : data_(v) {}
  Value(std::string v) : data_(std::move(v)) {}
  Value(const char* v) : data_(std::string(v)) {}
  Value(Bytes v) : data_(std::move(v)) {}
  Value(Timestamp v) : data_(v) {}
  Value(Duration v) : data_(v) {}
  Value(TypeValue v) : data_(std::move(v)) {}
  Value(List v) : data_(std::make_shared<const List>(std::move(v))) {}
  Value(std::shared_ptr<const List> v) : data_(std::move(v)) {}
  Value(std::shared_ptr<const MapValue> v) : data_(std::move(v)) {}
  Value(std::shared_ptr<const Record> v) : data_(std::move(v)) {}
  Value(std::shared_ptr<const ErrorInfo> v) : data_(std::move(v)) {}

  /// An error value with a message such as "division by zero".
  static Value Error(std::string message);
  /// A type value by CEL name.
  static Value Type(std::string name) { return Value(TypeValue{std::move(name)}); }

  ValueKind kind() const { return static_cast<ValueKind>(data_.index()); }
  bool is(ValueKind k) const { return kind() == k; }
  bool IsError() const { return kind() == ValueKind::kError; }
  bool IsNumber() const {
    auto k = kind();
    return k == ValueKind::kInt || k == ValueKind::kUint || k == ValueKind::kDouble;
  }

  bool AsBool() const { return std::get<bool>(data_); }
  int64_t AsInt() const { return std::get<int64_t>(data_); }
  uint64_t AsUint() const { return std::get<uint64_t>(data_); }
  double AsDouble() const { return std::get<double>(data_); }
  const std::string& AsString() const { return std::get<std::string>(data_); }
  const std::string& AsBytes() const { return std::get<Bytes>(data_).data; }
  const List& AsList() const { return *std::get<std::shared_ptr<const List>>(data_); }
  const MapValue& AsMap() const { return *std::get<std::shared_ptr<const MapValue>>(data_); }
  Timestamp AsTimestamp() const { return std::get<Timestamp>(data_); }
  Duration AsDuration() const { return std::get<Duration>(data_); }
  const std::string& AsType() const { return std::get<TypeValue>(data_).name; }
  const Record& AsRecord() const { return *std::get<std::shared_ptr<const Record>>(data_); }
  /// The message of an error value.
  const std::string& ErrorMessage() const;

 private:
  // The order matches ValueKind.
  std::variant<NullValue, bool, int64_t, uint64_t, double, std::string, Bytes,
               std::shared_ptr<const List>, std::shared_ptr<const MapValue>, Timestamp, Duration,
               TypeValue, std::shared_ptr<const Record>, std::shared_ptr<const ErrorInfo>>
      data_;
};

struct ErrorInfo {
  std::string message;
};

/// A map with CEL's key rules: keys are bool, int, uint or string, and an
/// int key and a uint key with the same numeric value are the same key (a
/// double with an integral value finds them too). Entries keep insertion
/// order, which is the iteration order.
class MapValue {
 public:
  /// Adds an entry. Returns an error message when the key's type cannot be
  /// a key or the key is already present; empty on success.
  std::string Insert(Value key, Value value);
  /// The value under `key`, or null when absent.
  const Value* Find(const Value& key) const;
  size_t size() const { return entries_.size(); }
  const std::vector<std::pair<Value, Value>>& entries() const { return entries_; }

 private:
  // A key normalised so that equal CEL keys compare equal: bools, integers
  // (int and uint in one 128-bit space) and strings.
  using Key = std::variant<bool, __int128, std::string>;
  static std::optional<Key> Normalise(const Value& v);
  std::vector<std::pair<Value, Value>> entries_;
  std::map<Key, size_t> index_;
};

/// Builds a map value; an invalid or duplicate key makes an error value.
Value MakeMap(std::vector<std::pair<Value, Value>> entries);

/// CEL's `==`: values of different kinds are unequal, except numbers, which
/// compare by numeric value (1 == 1u == 1.0). NaN equals nothing. Lists and
/// maps compare element by element; map order does not matter.
bool Equal(const Value& a, const Value& b);

/// CEL's ordering for `<` and friends: numbers across kinds, strings and
/// bytes bytewise, bools, timestamps, durations. Returns nullopt when the
/// values are not comparable (different kinds, or a NaN is involved; the
/// caller decides whether that is `false` or an error).
std::optional<std::partial_ordering> Compare(const Value& a, const Value& b);
/// Whether Compare is defined for the kinds of `a` and `b` (NaN aside).
bool Comparable(const Value& a, const Value& b);

/// The CEL type name of a value's kind: "int", "list", "null_type",
/// "google.protobuf.Timestamp", or the record's type name.
std::string TypeName(const Value& v);

/// A stable rendering for tests and failure reports: 1, 2u, 3.5, "s",
/// b"\x00", [1, 2], {"a": 1}, timestamp("..."), duration("1.5s"), error(...).
std::string DebugString(const Value& v);

/// RFC 3339 text in UTC with as many fraction digits as needed, trailing
/// zeros dropped ("2009-02-13T23:31:30Z", "...:30.5Z"); must be in range.
std::string FormatTimestamp(Timestamp t);
/// Seconds with up to nine fraction digits and an `s` suffix ("1.5s", "-90s").
std::string FormatDuration(Duration d);
/// A double as CEL's string() writes it: the shortest text that reads back
/// as the same double, without an exponent for ordinary magnitudes.
std::string FormatDouble(double d);

/// Parses RFC 3339 text ("2009-02-13T23:31:30.5+01:00"). Returns an error
/// value on malformed text or a time outside years 1..9999.
Value ParseTimestamp(std::string_view text);
/// Parses Go-style duration text ("1h30m", "-1.5s", "100ms", "3us", "5ns").
/// Returns an error value on malformed or out-of-range text.
Value ParseDuration(std::string_view text);

/// A timestamp value, or a range error if outside years 1..9999.
Value CheckedTimestamp(__int128 total_nanos);
/// A duration value, or a range error if outside ±10000 years.
Value CheckedDuration(__int128 total_nanos);

}  // namespace tutti::compiler::eval
