#include "runtime/records/decoder.h"

#include <cmath>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "base/text.h"
#include "compiler/check/suggest.h"
#include "runtime/records/direct_decoder.h"
#include "runtime/records/field_text.h"
#include "runtime/records/json_input.h"

namespace tutti::runtime {

compiler::eval::Value RecordValue(const Record& r) {
  auto rec = std::make_shared<compiler::eval::Record>();
  rec->shape = &r.schema->shape;
  rec->values = r.slots;
  return compiler::eval::Value(std::shared_ptr<const compiler::eval::Record>(std::move(rec)));
}

using compiler::Type;
using compiler::TypeKind;
using compiler::eval::Value;
using compiler::eval::ValueKind;
using json = nlohmann::json;

namespace {

// Raised inside the decoder only, caught in DecodeLine: the first problem
// of a line ends its decoding.
struct Reject {
  std::string field;
  std::string message;
  size_t column = 0;
  std::string got;
};

/// `got`: the offending value as shown to whoever sent it (DecodeError::got).
[[noreturn]] void Fail(std::string field, std::string message, size_t column = 0, std::string got = "") {
  throw Reject{std::move(field), std::move(message), column, std::move(got)};
}

constexpr size_t kShownBytes = 60;

/// A JSON value as the user wrote it, shortened: "\"ten\"", 3.5, null,
/// "an object", "a list".
std::string Show(const json& j) {
  if (j.is_object()) return "an object";
  if (j.is_array()) return "a list";
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > kShownBytes) {
    size_t cut = kShownBytes;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut) + "...";
  }
  return s;
}

/// What a value of type `t` must be, with an article: "an int",
/// "a timestamp (RFC 3339 text such as ...)".
std::string Wanted(const Type& t) {
  switch (t.kind()) {
    case TypeKind::kInt: return "an int";
    case TypeKind::kBytes: return "bytes (base64 text)";
    case TypeKind::kTimestamp:
      return "a timestamp (RFC 3339 text such as \"2026-03-01T09:00:00Z\")";
    case TypeKind::kDuration: return "a duration (text such as \"90s\", \"1h30m\" or \"7d\")";
    case TypeKind::kProfile: return "a profile '" + t.name() + "' (a JSON object)";
    default: return "a " + t.ToString();
  }
}

[[noreturn]] void Mismatch(const std::string& field, const std::string& what, const Type& t,
                           const json& j) {
  Fail(field, what + " must be " + Wanted(t), 0, Show(j));
}

// 2^63 and 2^64 as doubles, exactly.
constexpr double kTwo63 = 9223372036854775808.0;
constexpr double kTwo64 = 18446744073709551616.0;

/// A JSON number written as an integer too large for int64/uint64 arrives
/// as a double; an integral double that large is reported as out of range
/// rather than as "not an int".
bool HugeIntegral(double d) {
  return std::isfinite(d) && d == std::floor(d) && std::fabs(d) >= kTwo63;
}

class Converter {
 public:
  Converter(const SchemaTable& table, std::optional<compiler::eval::Timestamp> default_at)
      : table_(table), default_at_(default_at) {}

  /// Decodes the fields of `obj` into slots of `schema`. `skip_type`: the
  /// top-level object's "type" is not a field. `field_prefix` names the
  /// enclosing field in errors of nested records.
  std::vector<Value> Fields(const Schema& schema, const json& obj, bool skip_type,
                            const std::string& context, const std::string& field_prefix) {
    const std::string of = std::string(RecordKindName(schema.kind)) + " '" + schema.name + "'" + context;
    for (const auto& [name, value] : obj.items()) {
      if (skip_type && name == "type") continue;
      if (!schema.Slot(name)) {
        std::vector<std::string> candidates;
        for (const FieldLayout& f : schema.fields) candidates.push_back(f.name);
        Fail(field_prefix + name, of + " has no field '" + name + "'" +
                                      compiler::internal::DidYouMean(name, candidates));
      }
    }
    std::vector<Value> slots(schema.fields.size());
    for (const FieldLayout& f : schema.fields) {
      std::string field = field_prefix + f.name;
      auto it = obj.find(f.name);
      if (it == obj.end() || (it->is_null() && f.optional)) {
        if (f.implicit && default_at_) {
          slots[f.slot] = Value(*default_at_);
          continue;
        }
        if (f.implicit)
          Fail(field, of + " has no 'at': every event needs the time it happened, as RFC 3339 "
                           "text such as \"2026-03-01T09:00:00Z\"");
        if (!f.optional)
          Fail(field, of + " is missing required field '" + f.name + "' (" + f.type.ToString() + ")");
        continue;  // null
      }
      slots[f.slot] = Convert(f.type, *it, "field '" + f.name + "' of " + of, field);
    }
    return slots;
  }

  /// A JSON value as a Value of type `t`; `what` names it in errors
  /// ("field 'decile' of profile 'hcp'").
  Value Convert(const Type& t, const json& j, const std::string& what, const std::string& field) {
    switch (t.kind()) {
      case TypeKind::kString:
        if (!j.is_string()) Mismatch(field, what, t, j);
        return Value(j.get_ref<const std::string&>());
      case TypeKind::kBool:
        if (!j.is_boolean()) Mismatch(field, what, t, j);
        return Value(j.get<bool>());
      case TypeKind::kInt:
        if (j.is_number_integer() && !j.is_number_unsigned()) return Value(j.get<int64_t>());
        if (j.is_number_unsigned()) {
          uint64_t u = j.get<uint64_t>();
          if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            Fail(field, what + " is out of range for an int", 0, Show(j));
          return Value(static_cast<int64_t>(u));
        }
        if (j.is_number_float() && HugeIntegral(j.get<double>()))
          Fail(field, what + " is out of range for an int", 0, Show(j));
        Mismatch(field, what, t, j);
      case TypeKind::kUint:
        if (j.is_number_unsigned()) return Value(j.get<uint64_t>());
        if (j.is_number_integer())  // a negative number
          Fail(field, what + " must be a uint, which cannot be negative", 0, Show(j));
        if (j.is_number_float() && HugeIntegral(j.get<double>())) {
          if (j.get<double>() < 0)
            Fail(field, what + " must be a uint, which cannot be negative", 0, Show(j));
          if (j.get<double>() >= kTwo64) Fail(field, what + " is out of range for a uint", 0, Show(j));
        }
        Mismatch(field, what, t, j);
      case TypeKind::kDouble:
        if (j.is_number_unsigned()) return Value(static_cast<double>(j.get<uint64_t>()));
        if (j.is_number_integer()) return Value(static_cast<double>(j.get<int64_t>()));
        if (j.is_number_float()) return Value(j.get<double>());
        Mismatch(field, what, t, j);
      case TypeKind::kBytes: {
        if (!j.is_string()) Mismatch(field, what, t, j);
        auto bytes = DecodeBase64(j.get_ref<const std::string&>());
        if (!bytes) Mismatch(field, what, t, j);
        return Value(compiler::eval::Bytes{std::move(*bytes)});
      }
      case TypeKind::kTimestamp: {
        if (!j.is_string()) Mismatch(field, what, t, j);
        Value v = compiler::eval::ParseTimestamp(j.get_ref<const std::string&>());
        if (v.IsError()) Mismatch(field, what, t, j);
        return v;
      }
      case TypeKind::kDuration: {
        if (!j.is_string()) Mismatch(field, what, t, j);
        Value v = ParseFieldDuration(j.get_ref<const std::string&>());
        if (v.IsError()) Mismatch(field, what, t, j);
        return v;
      }
      case TypeKind::kList: {
        if (!j.is_array()) Mismatch(field, what, t, j);
        compiler::eval::List out;
        out.reserve(j.size());
        size_t i = 0;
        for (const json& e : j) {
          if (e.is_null() && !t.elem().IsErrorOrDyn())
            Mismatch(field, "element " + std::to_string(i) + " of " + what, t.elem(), e);
          out.push_back(Convert(t.elem(), e, "element " + std::to_string(i) + " of " + what, field));
          ++i;
        }
        return Value(std::move(out));
      }
      case TypeKind::kMap: {
        if (!j.is_object()) Mismatch(field, what, t, j);
        auto map = std::make_shared<compiler::eval::MapValue>();
        // Keys are data (they may be personal): a message names a key by
        // its place, and shows it only as what was got.
        size_t i = 0;
        for (const auto& [k, v] : j.items()) {
          std::string key_what = "key #" + std::to_string(++i) + " of " + what;
          Value key = MapKey(t.key(), k, key_what, field);
          if (v.is_null() && !t.value().IsErrorOrDyn())
            Mismatch(field, "the value under " + key_what, t.value(), v);
          Value value = Convert(t.value(), v, "the value under " + key_what, field);
          std::string problem = map->Insert(std::move(key), std::move(value));
          if (!problem.empty()) Fail(field, key_what + " repeats an earlier key", 0, json(k).dump());
        }
        return Value(std::shared_ptr<const compiler::eval::MapValue>(std::move(map)));
      }
      case TypeKind::kProfile: {
        const Schema* nested = table_.FindProfile(t.name());
        if (!j.is_object() || nested == nullptr) Mismatch(field, what, t, j);
        std::vector<Value> slots = Fields(*nested, j, false, " in " + what, field + ".");
        auto rec = std::make_shared<compiler::eval::Record>();
        rec->shape = &nested->shape;
        rec->values = std::move(slots);
        return Value(std::shared_ptr<const compiler::eval::Record>(std::move(rec)));
      }
      default:
        return Dyn(j);
    }
  }

 private:
  Value MapKey(const Type& t, const std::string& k, const std::string& what, const std::string& field) {
    Value key;
    switch (MapKeyOf(t, k, key)) {
      case KeyProblem::kNone: return key;
      case KeyProblem::kOutOfRange:
        Fail(field, what + " is out of range for " + (t.kind() == TypeKind::kInt ? "an int" : "a uint"), 0,
             json(k).dump());
      case KeyProblem::kNotOfType: break;
    }
    Fail(field, what + " must be " + Wanted(t), 0, json(k).dump());
  }

  /// Any JSON value, typed the obvious way (integers as int, or uint when
  /// too large for an int; objects as maps with string keys).
  Value Dyn(const json& j) {
    switch (j.type()) {
      case json::value_t::null: return Value();
      case json::value_t::boolean: return Value(j.get<bool>());
      case json::value_t::number_integer: return Value(j.get<int64_t>());
      case json::value_t::number_unsigned: {
        uint64_t u = j.get<uint64_t>();
        if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
          return Value(static_cast<int64_t>(u));
        return Value(u);
      }
      case json::value_t::number_float: return Value(j.get<double>());
      case json::value_t::string: return Value(j.get<std::string>());
      case json::value_t::array: {
        compiler::eval::List out;
        for (const json& e : j) out.push_back(Dyn(e));
        return Value(std::move(out));
      }
      case json::value_t::object: {
        auto map = std::make_shared<compiler::eval::MapValue>();
        for (const auto& [k, v] : j.items()) map->Insert(Value(k), Dyn(v));
        return Value(std::shared_ptr<const compiler::eval::MapValue>(std::move(map)));
      }
      default: return Value();  // binary and discarded values cannot come from text
    }
  }

  const SchemaTable& table_;
  std::optional<compiler::eval::Timestamp> default_at_;
};

bool Blank(std::string_view line) {
  for (char c : line)
    if (c != ' ' && c != '\t' && c != '\r') return false;
  return true;
}

const Schema* LookUp(const SchemaTable& table, const std::string& name, Accept accept) {
  if (const Schema* s = FindAccepted(table, name, accept)) return s;
  const char* kind = accept == Accept::kEvents ? "event" : accept == Accept::kProfiles ? "profile" : "event or profile";
  std::vector<std::string> candidates;
  if (accept != Accept::kProfiles) candidates = table.EventNames();
  if (accept != Accept::kEvents)
    for (auto& n : table.ProfileNames()) candidates.push_back(n);
  std::string message = "unknown " + std::string(kind) + " type '" + name + "'";
  if (accept == Accept::kEvents && table.FindProfile(name))
    message += ": '" + name + "' is a profile, and this input holds events";
  else if (accept == Accept::kProfiles && table.FindEvent(name))
    message += ": '" + name + "' is an event, and this input holds profiles";
  else
    message += compiler::internal::DidYouMean(name, candidates);
  Fail("type", message);
}

Record Decode(const SchemaTable& table, std::string_view line, size_t line_number,
              const DecodeOptions& options) {
  if (line.size() > options.max_line_bytes)
    Fail("", "the line is " + std::to_string(line.size()) + " bytes long; the limit is " +
                 std::to_string(options.max_line_bytes));
  JsonError error;
  auto parsed = ParseJsonInput(line, {options.max_line_bytes, options.max_depth}, &error);
  if (!parsed.ok()) Fail("", error.message, error.column);
  json j = std::move(*parsed);
  if (!j.is_object())
    Fail("", "expected a JSON object with a \"type\"", 0, Show(j));
  auto type = j.find("type");
  if (type == j.end())
    Fail("type", "missing field 'type', which names the event or profile this line holds");
  if (!type->is_string())
    Fail("type", "field 'type' must be a string naming an event or profile", 0, Show(*type));
  const Schema* schema = LookUp(table, type->get_ref<const std::string&>(), options.accept);

  Converter converter(table, options.default_at);
  Record r;
  r.schema = schema;
  r.line = line_number;
  r.slots = converter.Fields(*schema, j, true, "", "");
  r.key = r.slots[schema->key_slot];
  if (schema->kind == RecordKind::kEvent) r.at = r.slots[schema->at_slot].AsTimestamp();
  return r;
}

}  // namespace

const Schema* FindAccepted(const SchemaTable& table, std::string_view type, Accept accept) {
  if (accept != Accept::kProfiles)
    if (const Schema* s = table.FindEvent(type)) return s;
  if (accept != Accept::kEvents)
    if (const Schema* s = table.FindProfile(type)) return s;
  return nullptr;
}

const Value* Record::Get(std::string_view name) const {
  auto slot = schema->Slot(name);
  return slot ? &slots[*slot] : nullptr;
}

std::string DecodeError::ToString() const { return ForLog() + (got.empty() ? "" : ", got " + got); }

std::string DecodeError::ForLog() const {
  std::string s = "line " + std::to_string(line);
  if (column) s += ", column " + std::to_string(column);
  return s + ": " + message;
}

namespace {

/// DecodeThroughDocument of a line whose '\r' is gone and that is not blank.
DecodeResult ThroughDocument(const SchemaTable& table, std::string_view line, size_t line_number,
                             const DecodeOptions& options) {
  try {
    return {Decode(table, line, line_number, options)};
  } catch (const Reject& r) {
    return {DecodeError{line_number, r.column, Printable(r.field, 200), Printable(r.message, 1000), Printable(r.got, 200)}};
  } catch (const std::exception& e) {
    return {DecodeError{line_number, 0, "", "could not decode the line: " + Printable(e.what(), 200), ""}};
  } catch (...) {
    return {DecodeError{line_number, 0, "", "could not decode the line", ""}};
  }
}

}  // namespace

DecodeResult DecodeLine(const SchemaTable& table, std::string_view line, size_t line_number,
                        const DecodeOptions& options) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (Blank(line)) return {};
  if (std::optional<Record> r = DecodeDirectly(table, line, line_number, options)) return {std::move(*r)};
  return ThroughDocument(table, line, line_number, options);
}

DecodeResult DecodeThroughDocument(const SchemaTable& table, std::string_view line, size_t line_number,
                                   const DecodeOptions& options) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (Blank(line)) return {};
  return ThroughDocument(table, line, line_number, options);
}

DecodedFile DecodeFile(const SchemaTable& table, std::istream& in, const DecodeOptions& options) {
  DecodedFile out;
  std::streambuf* buf = in.rdbuf();
  if (buf == nullptr) {
    out.read = Status::Invalid("no input stream");
    return out;
  }
  std::string line;
  using traits = std::char_traits<char>;
  for (;;) {
    line.clear();
    size_t length = 0;
    bool any = false;
    int c;
    while ((c = buf->sbumpc()) != traits::eof()) {
      any = true;
      if (c == '\n') break;
      ++length;
      if (length <= options.max_line_bytes + 1) line.push_back(static_cast<char>(c));
    }
    if (!any) break;
    ++out.lines;
    if (length > options.max_line_bytes + 1 ||
        (length == options.max_line_bytes + 1 && line.back() != '\r')) {
      // Over the limit: only the first bytes were kept.
      out.errors.push_back({out.lines, 0, "",
                            "the line is " + std::to_string(length) + " bytes long; the limit is " +
                                std::to_string(options.max_line_bytes), ""});
      continue;
    }
    DecodeResult r = DecodeLine(table, line, out.lines, options);
    if (r.blank()) {
      ++out.blank;
    } else if (r.ok()) {
      (r.record().kind() == RecordKind::kEvent ? out.events : out.profiles)++;
      if (r.record().kind() == RecordKind::kEvent) r.record().input = r.record().line;
      out.records.push_back(std::move(r.record()));
    } else {
      out.errors.push_back(r.error());
    }
    if (c == traits::eof()) break;
  }
  return out;
}

DecodedFile DecodeFile(const SchemaTable& table, const std::string& path, const DecodeOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    DecodedFile out;
    out.read = Status::NotFound("cannot open " + path);
    return out;
  }
  DecodedFile out = DecodeFile(table, in, options);
  if (in.bad()) out.read = Status::Unavailable("error while reading " + path);
  return out;
}

}  // namespace tutti::runtime
