#pragma once
// The binary encoding of engine snapshots (Engine::Save, Engine::Restore):
// varints, strings, run-time values and decisions, nothing else. Compact
// and fast rather than self-describing; a snapshot is read back only by
// the same build's engine over the same journeys, and its writer
// (runtime/daemon) checksums it, so the reader guards against a damaged
// or foreign snapshot (it never reads out of bounds, and says where it
// stopped making sense) but does not try to repair one.
//
// Values keep their sharing: a list, map or record met again (the same
// object, as a profile record held by a customer and by the slots of its
// instances) is written once and referred back to, so a restored engine
// holds one copy, as the engine that wrote it did.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compiler/eval/value.h"
#include "runtime/engine/decision.h"

namespace tutti::runtime {

class SnapshotWriter {
 public:
  /// How a record's shape is written: the engine names it (its version,
  /// kind and name, or the shape it projects and the fields kept).
  using ShapeWriter = std::function<void(SnapshotWriter&, const compiler::eval::RecordShape*)>;
  explicit SnapshotWriter(ShapeWriter shape) : write_shape_(std::move(shape)) {}

  void U64(uint64_t v);
  void I64(int64_t v) { U64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void Bool(bool v) { out_.push_back(v ? 1 : 0); }
  void Byte(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void Double(double d);
  void String(std::string_view s);
  void Value(const compiler::eval::Value& v);
  void Decision(const runtime::Decision& d);
  void OptionalInstant(const std::optional<Instant>& t);
  void OptionalU64(const std::optional<uint64_t>& v);
  void Choices(std::span<const Choice> choices);
  /// A shape, each distinct one named once (by the ShapeWriter) and then
  /// referred to by number.
  void Shape(const compiler::eval::RecordShape* shape);

  std::string& bytes() { return out_; }

 private:
  std::string out_;
  ShapeWriter write_shape_;
  std::unordered_map<const compiler::eval::RecordShape*, uint64_t> shapes_;
  std::unordered_map<const void*, uint64_t> shared_;  // lists, maps, records written so far
};

class SnapshotReader {
 public:
  /// Reads what the ShapeWriter wrote; null (after Fail) when it names
  /// no shape this engine has.
  using ShapeReader = std::function<const compiler::eval::RecordShape*(SnapshotReader&)>;
  SnapshotReader(std::string_view bytes, ShapeReader shape) : in_(bytes), read_shape_(std::move(shape)) {}

  uint64_t U64();
  int64_t I64() {
    uint64_t v = U64();
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  bool Bool() { return Byte() != 0; }
  uint8_t Byte();
  double Double();
  std::string String();
  compiler::eval::Value Value();
  /// A decision; one of format 4 has no version_id (the caller fills it).
  runtime::Decision Decision();
  std::optional<Instant> OptionalInstant();
  std::optional<uint64_t> OptionalU64();
  std::vector<Choice> Choices();
  const compiler::eval::RecordShape* Shape();
  /// Where a decision's policy checks find their rule: a stable rule like
  /// the one saved (read from its kind, text, place and count). Without
  /// it, decisions are read without their checks.
  using RuleReader = std::function<const compiler::ir::PolicyRule*(const compiler::ir::PolicyRule&)>;
  void set_rules(RuleReader rules) { read_rule_ = std::move(rules); }
  /// The snapshot's format (snapshot.cc), once read: what Decision reads.
  void set_format(uint64_t format) { format_ = format; }
  uint64_t format() const { return format_; }
  /// A count of items each at least `min_bytes` long: fails when the
  /// bytes left cannot hold that many (a damaged count would otherwise
  /// make the reader reserve gigabytes).
  size_t Count(size_t min_bytes = 1);
  /// A number below `bound` (an index into something already read).
  uint64_t Index(uint64_t bound, const char* what);

  /// Marks the snapshot damaged (the first reason is kept); every read
  /// after that returns zeros.
  void Fail(std::string why);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  std::string error_;
  ShapeReader read_shape_;
  RuleReader read_rule_;
  uint64_t format_ = UINT64_MAX;  // the newest, until set_format
  std::vector<const compiler::eval::RecordShape*> shapes_;
  std::vector<compiler::eval::Value> shared_;
};

}  // namespace tutti::runtime
