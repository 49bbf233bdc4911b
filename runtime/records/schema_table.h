#pragma once
// The record layouts of a checked program: for every event and profile
// declaration, its fields in declaration order with their resolved types,
// and the slot each field occupies in a flat record.
//
//   profile hcp { id: string key, name: string, email: string?, ... }
//
//   slot:   0          1            2              ...
//         +----------+------------+--------------+-----
//         | id       | name       | email / null | ...
//         +----------+------------+--------------+-----
//
// An event has one more slot after its declared fields: `at`, the time it
// happened (a timestamp), which every event carries and no event declares.
// A slot's number is fixed by the declaration, so later passes (the
// interpreter, the JIT) can read a field by index without a name lookup.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/check/program.h"
#include "compiler/eval/value.h"
#include "compiler/types/type.h"

namespace tutti::runtime {

enum class RecordKind { kEvent, kProfile };

/// "event" or "profile".
const char* RecordKindName(RecordKind kind);

/// One field of a schema and where it lives in a record.
struct FieldLayout {
  std::string name;
  compiler::Type type;
  bool optional = false;  // `name: T?`: may be absent or null
  bool key = false;       // the profile's key, or the field an event is keyed by
  bool implicit = false;  // not declared: an event's `at`
  size_t slot = 0;        // index into Record::slots
};

/// The layout of one event or profile.
struct Schema {
  std::string name;
  RecordKind kind = RecordKind::kProfile;
  /// Declared fields in declaration order, then (events only) `at`;
  /// fields[i].slot == i.
  std::vector<FieldLayout> fields;
  /// The slot of the key: a profile's `key` field, or the field an event is
  /// keyed by.
  size_t key_slot = 0;
  /// Events only: the profile the event is keyed by.
  std::string key_profile;
  /// Events only: the slot of `at`.
  size_t at_slot = 0;

  /// The slot of the field called `name`, if there is one.
  std::optional<size_t> Slot(std::string_view name) const;
  const FieldLayout* Field(std::string_view name) const;
  /// Declared field names in declaration order (for "did you mean").
  std::vector<std::string> FieldNames() const;
  size_t size() const { return fields.size(); }

  std::map<std::string, size_t, std::less<>> index;  // name -> slot
  /// The field names in slot order, as the shape of this schema's record
  /// values (expressions read fields through it).
  compiler::eval::RecordShape shape;
};

/// Every schema of a program. Events and profiles have separate
/// namespaces, as in the language: `account` may name both.
class SchemaTable {
 public:
  /// Builds the table from every event and profile declared in `program`.
  /// The program must have checked without errors: a name declared twice
  /// keeps its first declaration (by file order), and a type that does not
  /// resolve becomes dyn.
  static SchemaTable Build(const compiler::Program& program);

  const Schema* FindEvent(std::string_view name) const;
  const Schema* FindProfile(std::string_view name) const;
  const Schema* Find(RecordKind kind, std::string_view name) const;

  /// Names of all events / profiles, sorted.
  std::vector<std::string> EventNames() const;
  std::vector<std::string> ProfileNames() const;

  /// Why `other` could not take over records laid out by this table, in
  /// words: an event or profile removed or keyed otherwise, a field
  /// removed, retyped, made required or made (or unmade) the key, or a new
  /// field that is not optional (records already stored lack it). Nullopt
  /// when it can grow into `other`: new events and profiles, new optional
  /// fields anywhere, fields in another order, a required field made
  /// optional. Stored records move to `other`'s layouts by field name.
  std::optional<std::string> GrowthRefusal(const SchemaTable& other) const;
  /// Whether every record has the same fields, in the same order, in `other`.
  bool SameLayout(const SchemaTable& other) const;

  /// Adds a schema (Build uses this; tests may too). Returns false and
  /// changes nothing if one of the same kind and name exists. Slots,
  /// the index, key_slot and at_slot are filled in here from `fields`.
  bool Add(Schema schema);

 private:
  // unique_ptr: records point at their schema, so schemas never move.
  std::map<std::string, std::unique_ptr<Schema>, std::less<>> events_;
  std::map<std::string, std::unique_ptr<Schema>, std::less<>> profiles_;
};

/// Resolves a field's declared type (`list<string>`, `map<string, int>`,
/// `timestamp`, a profile name) against the profiles in `profiles`.
/// An unknown name resolves to dyn.
compiler::Type ResolveFieldType(const compiler::ast::TypeRef& ref,
                                const std::vector<std::string>& profiles);

}  // namespace tutti::runtime
