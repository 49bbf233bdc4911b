#include "runtime/engine/snapshot_codec.h"

#include <cstring>
#include <memory>

namespace tutti::runtime {

using compiler::eval::Value;
using compiler::eval::ValueKind;

namespace {

// Value tags. kShared refers back to a list, map or record written before.
enum Tag : uint8_t {
  kNull, kFalse, kTrue, kInt, kUint, kDouble, kString, kBytes,
  kList, kMap, kTimestamp, kDuration, kType, kRecord, kError, kShared,
};

const void* SharedObject(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kList: return &v.AsList();
    case ValueKind::kMap: return &v.AsMap();
    case ValueKind::kRecord: return &v.AsRecord();
    default: return nullptr;
  }
}

}  // namespace

void SnapshotWriter::U64(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void SnapshotWriter::String(std::string_view s) {
  U64(s.size());
  out_.append(s);
}

void SnapshotWriter::Shape(const compiler::eval::RecordShape* shape) {
  auto [it, added] = shapes_.emplace(shape, shapes_.size());
  U64(it->second);
  if (added) write_shape_(*this, shape);
}

void SnapshotWriter::Value(const compiler::eval::Value& v) {
  if (const void* object = SharedObject(v)) {
    if (auto it = shared_.find(object); it != shared_.end()) {
      Byte(kShared);
      U64(it->second);
      return;
    }
  }
  switch (v.kind()) {
    case ValueKind::kNull: Byte(kNull); return;
    case ValueKind::kBool: Byte(v.AsBool() ? kTrue : kFalse); return;
    case ValueKind::kInt: Byte(kInt); I64(v.AsInt()); return;
    case ValueKind::kUint: Byte(kUint); U64(v.AsUint()); return;
    case ValueKind::kDouble: Byte(kDouble); Double(v.AsDouble()); return;
    case ValueKind::kString: Byte(kString); String(v.AsString()); return;
    case ValueKind::kBytes: Byte(kBytes); String(v.AsBytes()); return;
    case ValueKind::kTimestamp: Byte(kTimestamp); I64(v.AsTimestamp().seconds); I64(v.AsTimestamp().nanos); return;
    case ValueKind::kDuration: Byte(kDuration); I64(v.AsDuration().seconds); I64(v.AsDuration().nanos); return;
    case ValueKind::kType: Byte(kType); String(v.AsType()); return;
    case ValueKind::kError: Byte(kError); String(v.ErrorMessage()); return;
    case ValueKind::kList:
      Byte(kList);
      U64(v.AsList().size());
      for (const compiler::eval::Value& e : v.AsList()) Value(e);
      break;
    case ValueKind::kMap:
      Byte(kMap);
      U64(v.AsMap().size());
      for (const auto& [key, value] : v.AsMap().entries()) {
        Value(key);
        Value(value);
      }
      break;
    case ValueKind::kRecord:
      Byte(kRecord);
      Shape(v.AsRecord().shape);
      U64(v.AsRecord().values.size());
      for (const compiler::eval::Value& e : v.AsRecord().values) Value(e);
      break;
  }
  // Numbered after its elements, as the reader numbers it.
  shared_.emplace(SharedObject(v), shared_.size());
}

void SnapshotWriter::OptionalInstant(const std::optional<Instant>& t) {
  Bool(t.has_value());
  if (t) I64(*t);
}

void SnapshotWriter::OptionalU64(const std::optional<uint64_t>& v) {
  Bool(v.has_value());
  if (v) U64(*v);
}

void SnapshotWriter::Choices(std::span<const Choice> choices) {
  U64(choices.size());
  for (const Choice& c : choices) {
    I64(c.at);
    U64(c.step);
    I64(c.arm);
    OptionalU64(c.input);
    U64(c.scores.size());
    for (double d : c.scores) Double(d);
  }
}

void SnapshotWriter::Double(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  for (int i = 0; i < 8; ++i) Byte(static_cast<uint8_t>(bits >> (8 * i)));
}

void SnapshotWriter::Decision(const runtime::Decision& d) {
  Byte(static_cast<uint8_t>(d.kind));
  I64(d.at);
  String(d.journey);
  I64(d.version);
  String(d.version_id);
  for (const std::string* s : {&d.customer, &d.step, &d.cause, &d.channel, &d.action, &d.content, &d.recipient})
    String(*s);
  U64(d.vars.size());
  for (const auto& [name, value] : d.vars) {
    String(name);
    Value(value);
  }
  OptionalInstant(d.due);
  OptionalInstant(d.until);
  for (const std::string* s : {&d.policy, &d.rule, &d.rule_at, &d.reason, &d.idempotency_key}) String(*s);
  String(d.approval);
  Bool(d.message.has_value());
  if (d.message)
    for (const std::string* s : {&d.message->locale, &d.message->subject, &d.message->text, &d.message->html}) String(*s);
  OptionalU64(d.input);
  OptionalU64(d.entered_by);
  Choices(d.choices);
  U64(d.checks.size());
  for (const PolicyCheck& c : d.checks) {
    Byte(static_cast<uint8_t>(c.rule->kind));
    String(c.rule->text);
    String(c.rule->at);
    I64(c.rule->count);
    I64(c.used);
  }
}

void SnapshotReader::Fail(std::string why) {
  if (error_.empty()) error_ = std::move(why) + " (at byte " + std::to_string(pos_) + ")";
  pos_ = in_.size();
}

uint8_t SnapshotReader::Byte() {
  if (pos_ >= in_.size()) {
    Fail("the snapshot ends early");
    return 0;
  }
  return static_cast<uint8_t>(in_[pos_++]);
}

uint64_t SnapshotReader::U64() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b = Byte();
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
  }
  Fail("a number in the snapshot is too long");
  return 0;
}

size_t SnapshotReader::Count(size_t min_bytes) {
  uint64_t n = U64();
  if (n > (in_.size() - pos_) / (min_bytes == 0 ? 1 : min_bytes)) {
    Fail("a count in the snapshot is larger than the snapshot");
    return 0;
  }
  return static_cast<size_t>(n);
}

uint64_t SnapshotReader::Index(uint64_t bound, const char* what) {
  uint64_t v = U64();
  if (v >= bound) {
    Fail(std::string("the snapshot names ") + what + " " + std::to_string(v) + " of " + std::to_string(bound));
    return 0;
  }
  return v;
}

std::string SnapshotReader::String() {
  size_t n = Count();
  std::string s(in_.substr(pos_, n));
  pos_ += n;
  return s;
}

const compiler::eval::RecordShape* SnapshotReader::Shape() {
  uint64_t id = U64();
  if (id < shapes_.size()) {
    if (shapes_[id] == nullptr) Fail("a record shape in the snapshot is described in terms of itself");
    return shapes_[id];
  }
  if (id != shapes_.size()) {
    Fail("the snapshot names a record shape before describing it");
    return nullptr;
  }
  // Numbered before its description, which may name shapes of its own.
  shapes_.push_back(nullptr);
  const compiler::eval::RecordShape* shape = read_shape_(*this);
  if (shape == nullptr) {
    Fail("the snapshot names a record shape this engine does not have");
    return nullptr;
  }
  shapes_[id] = shape;
  return shape;
}

compiler::eval::Value SnapshotReader::Value() {
  uint8_t tag = Byte();
  compiler::eval::Value out;
  switch (tag) {
    case kNull: return out;
    case kFalse: return false;
    case kTrue: return true;
    case kInt: return I64();
    case kUint: return U64();
    case kDouble: return Double();
    case kString: return String();
    case kBytes: return compiler::eval::Bytes{String()};
    case kTimestamp: {
      int64_t s = I64();
      return compiler::eval::Timestamp{s, static_cast<int32_t>(I64())};
    }
    case kDuration: {
      int64_t s = I64();
      return compiler::eval::Duration{s, static_cast<int32_t>(I64())};
    }
    case kType: return compiler::eval::Value::Type(String());
    case kError: return compiler::eval::Value::Error(String());
    case kShared: return ok() ? shared_[Index(shared_.size(), "shared value")] : out;
    case kList: {
      compiler::eval::List list(Count());
      for (auto& e : list) e = Value();
      out = std::move(list);
      break;
    }
    case kMap: {
      auto map = std::make_shared<compiler::eval::MapValue>();
      for (size_t n = Count(2); n > 0 && ok(); --n) {
        compiler::eval::Value key = Value();
        compiler::eval::Value value = Value();
        if (ok() && !map->Insert(std::move(key), std::move(value)).empty()) Fail("a map in the snapshot repeats a key");
      }
      out = compiler::eval::Value(std::shared_ptr<const compiler::eval::MapValue>(std::move(map)));
      break;
    }
    case kRecord: {
      auto rec = std::make_shared<compiler::eval::Record>();
      rec->shape = Shape();
      rec->values.resize(Count());
      for (auto& e : rec->values) e = Value();
      if (ok() && rec->values.size() != rec->shape->fields.size()) Fail("a record in the snapshot does not fit its shape");
      out = compiler::eval::Value(std::shared_ptr<const compiler::eval::Record>(std::move(rec)));
      break;
    }
    default:
      Fail("the snapshot holds a value of unknown kind " + std::to_string(tag));
      return out;
  }
  shared_.push_back(out);
  return out;
}

std::optional<Instant> SnapshotReader::OptionalInstant() {
  if (!Bool()) return std::nullopt;
  return I64();
}

std::optional<uint64_t> SnapshotReader::OptionalU64() {
  if (!Bool()) return std::nullopt;
  return U64();
}

std::vector<Choice> SnapshotReader::Choices() {
  std::vector<Choice> out(Count(5));
  for (Choice& c : out) {
    c.at = I64();
    c.step = static_cast<compiler::ir::StepIndex>(U64());
    c.arm = static_cast<int32_t>(I64());
    c.input = OptionalU64();
    c.scores.resize(Count(8));
    for (double& d : c.scores) d = Double();
  }
  return out;
}

double SnapshotReader::Double() {
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(Byte()) << (8 * i);
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

runtime::Decision SnapshotReader::Decision() {
  runtime::Decision d;
  uint8_t kind = Byte();
  if (kind > static_cast<uint8_t>(DecisionKind::kError)) Fail("the snapshot holds a decision of unknown kind");
  d.kind = static_cast<DecisionKind>(kind);
  d.at = I64();
  d.journey = String();
  d.version = I64();
  if (format_ >= 5) d.version_id = String();
  for (std::string* s : {&d.customer, &d.step, &d.cause, &d.channel, &d.action, &d.content, &d.recipient})
    *s = String();
  d.vars.resize(Count(2));
  for (auto& [name, value] : d.vars) {
    name = String();
    value = Value();
  }
  d.due = OptionalInstant();
  d.until = OptionalInstant();
  for (std::string* s : {&d.policy, &d.rule, &d.rule_at, &d.reason, &d.idempotency_key}) *s = String();
  if (format_ >= 6) {
    d.approval = String();
    if (Bool()) {
      d.message.emplace();
      for (std::string* s : {&d.message->locale, &d.message->subject, &d.message->text, &d.message->html}) *s = String();
    }
  }
  if (format_ >= 7) {
    d.input = OptionalU64();
    d.entered_by = OptionalU64();
    d.choices = Choices();
    for (size_t n = Count(4); n > 0 && ok(); --n) {
      compiler::ir::PolicyRule rule;
      uint8_t kind = Byte();
      if (kind > static_cast<uint8_t>(compiler::ast::PolicyClauseKind::kRequireApproval))
        Fail("a decision passed a policy rule of unknown kind");
      rule.kind = static_cast<compiler::ast::PolicyClauseKind>(kind);
      rule.text = String();
      rule.at = String();
      rule.count = I64();
      int64_t used = I64();
      if (read_rule_ && ok()) d.checks.push_back({read_rule_(rule), used});
    }
  }
  return d;
}

}  // namespace tutti::runtime
