#pragma once
// The edge of the runtime: decodes NDJSON lines (one JSON object per line,
// with a `type` field naming an event or a profile) into flat records,
// checked against their schema. Nothing that fails the check gets past
// here: a bad line becomes a DecodeError in the user's words, and is
// counted and skipped.
//
//   {"type": "hcp", "id": "hcp-1", "decile": 7, ...}            a profile
//   {"type": "email_opened", "hcp": "hcp-1", "template": "t",
//    "at": "2026-03-01T09:00:00Z"}                              an event
//
// JSON to field types:
//   string              JSON string
//   int / uint          JSON integer in range (a uint is never negative)
//   double              JSON number (integers too)
//   bool                true / false
//   bytes               base64 string (standard or URL-safe alphabet, padding
//                       optional)
//   timestamp           RFC 3339 string ("2026-03-01T09:00:00+01:00")
//   duration            "90s", "1h30m", "250ms", or whole days "7d"
//   list<T> / set<T>    JSON array of T
//   map<K, V>           JSON object; keys read as K (string, int, uint, bool)
//   a profile           JSON object checked against that profile
//   dyn                 any JSON value
// An optional field (`T?`) may be absent or null; a required one may not.
// Unknown fields are errors (with a did-you-mean): a misspelt field would
// otherwise vanish silently.
//
// The decoder never throws and never reads past a limit: lines longer than
// DecodeOptions::max_line_bytes or nested deeper than max_depth are
// rejected before any JSON parsing; a NUL byte, a key given twice and
// anything after the object are refused (records/json_input.h). Every
// message is printable UTF-8 (base/text.h).

#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "compiler/eval/value.h"
#include "runtime/records/schema_table.h"

namespace tutti::runtime {

/// A decoded event or profile: one Value per slot of its schema (null for
/// an absent optional field). Points at its schema, which must outlive it.
struct Record {
  const Schema* schema = nullptr;
  std::vector<compiler::eval::Value> slots;
  /// The key: a profile's key field, or the field an event is keyed by.
  compiler::eval::Value key;
  /// Events: when it happened (also in slots[schema->at_slot]).
  std::optional<compiler::eval::Timestamp> at;
  size_t line = 0;  // where it came from
  /// Events: which input this is, for decisions to name what caused them
  /// (Decision::input): its place in the daemon's input log, its offset in
  /// a cluster partition, its line in a file (DecodeFile). None: not known.
  std::optional<uint64_t> input;

  const std::string& type() const { return schema->name; }
  RecordKind kind() const { return schema->kind; }
  /// The value of field `name`, or null if the schema has no such field.
  const compiler::eval::Value* Get(std::string_view name) const;
};

/// `r` as the record value expressions see: the same slots, under the
/// schema's shape.
compiler::eval::Value RecordValue(const Record& r);

/// Why a line was rejected.
struct DecodeError {
  size_t line = 0;
  size_t column = 0;  // 1-based byte column; 0 when not known
  std::string field;  // the offending field, if one is to blame
  std::string message;  // without the position, and without the value
  /// The offending value as written ("\"ten\"", shortened), when one is to
  /// blame: for whoever sent it, never for a log (it may be personal data).
  std::string got;

  /// "line 17: field 'decile' of profile 'hcp' must be an int, got \"ten\""
  /// ("line 3, column 9: ..." when the column is known): the answer to the
  /// sender.
  std::string ToString() const;
  /// The same without the value: "line 17: field 'decile' of profile
  /// 'hcp' must be an int", for logs.
  std::string ForLog() const;
};

/// Which kinds of record a stream may hold. A profiles file and an events
/// file are read with kProfiles and kEvents; kEither looks a type up as an
/// event first, then as a profile.
enum class Accept { kEither, kEvents, kProfiles };

/// The schema a line whose `type` is `type` is read as, in an input that
/// holds what `accept` says; null when there is none.
const Schema* FindAccepted(const SchemaTable& table, std::string_view type, Accept accept);

struct DecodeOptions {
  Accept accept = Accept::kEither;
  size_t max_line_bytes = 1 << 20;
  size_t max_depth = 64;  // arrays and objects, the line's object included
  /// The time of an event that has no `at` (the daemon: when it arrived);
  /// without one, an event with no `at` is an error.
  std::optional<compiler::eval::Timestamp> default_at;
};

/// A record, an error, or nothing (a blank line).
struct DecodeResult {
  std::variant<std::monostate, Record, DecodeError> value;

  bool blank() const { return value.index() == 0; }
  bool ok() const { return value.index() == 1; }
  const Record& record() const { return std::get<Record>(value); }
  Record& record() { return std::get<Record>(value); }
  const DecodeError& error() const { return std::get<DecodeError>(value); }
};

/// Completes `j`, one record as JSON that names only the fields that
/// matter (a journey test's profile, a preview's customer): a required
/// field left out gets its type's zero value (0, "", false, [], {}, the
/// epoch), an event's time `now`; an optional one stays out (none).
/// `J`: nlohmann::json or nlohmann::ordered_json.
template <typename J>
void FillLeftOutFields(const Schema& schema, J& j, const std::string& now) {
  for (const FieldLayout& f : schema.fields) {
    if (j.contains(f.name)) continue;
    if (f.implicit) {
      j[f.name] = now;
      continue;
    }
    if (f.optional) continue;
    switch (f.type.kind()) {
      case compiler::TypeKind::kBool: j[f.name] = false; break;
      case compiler::TypeKind::kInt:
      case compiler::TypeKind::kUint: j[f.name] = 0; break;
      case compiler::TypeKind::kDouble: j[f.name] = 0.0; break;
      case compiler::TypeKind::kTimestamp: j[f.name] = "1970-01-01T00:00:00Z"; break;
      case compiler::TypeKind::kDuration: j[f.name] = "0s"; break;
      case compiler::TypeKind::kList: j[f.name] = J::array(); break;
      case compiler::TypeKind::kMap: j[f.name] = J::object(); break;
      default: j[f.name] = ""; break;
    }
  }
}

/// Decodes one NDJSON line (without its newline; a trailing '\r' is
/// ignored). `line_number` is 1-based and only used in errors. Never throws.
/// A line is read straight into its record (records/direct_decoder.h);
/// one that cannot be is left to DecodeThroughDocument, which words why.
DecodeResult DecodeLine(const SchemaTable& table, std::string_view line, size_t line_number,
                        const DecodeOptions& options = {});
/// DecodeLine by way of a JSON document: the reference the direct reading
/// is held to, and what every refusal comes from.
DecodeResult DecodeThroughDocument(const SchemaTable& table, std::string_view line, size_t line_number,
                                   const DecodeOptions& options = {});

/// A decoded stream: the good records in input order, the bad lines, and
/// counts.
struct DecodedFile {
  std::vector<Record> records;
  std::vector<DecodeError> errors;
  size_t lines = 0;   // lines read, blank ones included
  size_t blank = 0;   // empty or whitespace-only lines (skipped, not errors)
  size_t events = 0;  // records that are events
  size_t profiles = 0;
  /// Set when the file could not be opened or read; nothing else is then
  /// meaningful.
  Status read;

  size_t rejected() const { return errors.size(); }
};

/// Decodes a stream line by line. An over-long line is skipped without
/// being held in memory.
DecodedFile DecodeFile(const SchemaTable& table, std::istream& in,
                       const DecodeOptions& options = {});
/// Opens and decodes `path`.
DecodedFile DecodeFile(const SchemaTable& table, const std::string& path,
                       const DecodeOptions& options = {});

}  // namespace tutti::runtime
