#include "runtime/records/schema_table.h"

#include <algorithm>

#include "compiler/builtins/registry.h"

namespace tutti::runtime {

using compiler::Type;
using compiler::TypeKind;

const char* RecordKindName(RecordKind kind) {
  return kind == RecordKind::kEvent ? "event" : "profile";
}

std::optional<size_t> Schema::Slot(std::string_view name) const {
  auto it = index.find(name);
  if (it == index.end()) return std::nullopt;
  return it->second;
}

const FieldLayout* Schema::Field(std::string_view name) const {
  auto slot = Slot(name);
  return slot ? &fields[*slot] : nullptr;
}

std::vector<std::string> Schema::FieldNames() const {
  std::vector<std::string> out;
  for (const FieldLayout& f : fields)
    if (!f.implicit) out.push_back(f.name);
  return out;
}

Type ResolveFieldType(const compiler::ast::TypeRef& ref, const std::vector<std::string>& profiles) {
  const std::string& n = ref.name.text;
  if ((n == "list" || n == "set") && ref.args.size() == 1)
    return Type::List(ResolveFieldType(ref.args[0], profiles), n == "set");
  if (n == "map" && ref.args.size() == 2)
    return Type::Map(ResolveFieldType(ref.args[0], profiles),
                     ResolveFieldType(ref.args[1], profiles));
  Type t;
  if (ref.args.empty() && compiler::ParseSignatureType(n, &t) && !t.is(TypeKind::kParam) &&
      !t.is(TypeKind::kAnyProfile) && !t.is(TypeKind::kType) && !t.is(TypeKind::kNull))
    return t;
  if (ref.args.empty() && std::find(profiles.begin(), profiles.end(), n) != profiles.end())
    return Type::Profile(n);
  return Type::Dyn();
}

namespace {

/// Why records of `a` cannot move to `b` by field name, or nullopt.
std::optional<std::string> CannotGrow(const Schema& a, const Schema& b) {
  std::string what = std::string(RecordKindName(a.kind)) + " '" + a.name + "'";
  if (a.key_profile != b.key_profile) return what + " is now keyed by '" + b.key_profile + "'";
  for (const FieldLayout& x : a.fields) {
    auto slot = b.Slot(x.name);
    if (!slot) return what + " no longer has field '" + x.name + "' (stored records and running journeys hold it)";
    const FieldLayout& y = b.fields[*slot];
    if (!(x.type == y.type))
      return what + ": field '" + x.name + "' changed from " + x.type.ToString() + " to " + y.type.ToString();
    if (x.optional && !y.optional) return what + ": field '" + x.name + "' is now required, and stored records may lack it";
    if (x.key != y.key) return what + ": field '" + x.name + (y.key ? "' is now the key" : "' is no longer the key");
  }
  for (const FieldLayout& y : b.fields)
    if (!a.Slot(y.name) && !y.optional && !y.implicit)
      return what + " has a new field '" + y.name + "' that is not optional: records already stored lack it (declare it '" +
             y.name + ": " + y.type.ToString() + "?')";
  return std::nullopt;
}

std::optional<std::string> TablesCannotGrow(const std::map<std::string, std::unique_ptr<Schema>, std::less<>>& a,
                                            const std::map<std::string, std::unique_ptr<Schema>, std::less<>>& b,
                                            const char* kind) {
  for (const auto& [name, schema] : a) {
    auto it = b.find(name);
    if (it == b.end()) return std::string(kind) + " '" + name + "' is no longer declared";
    if (auto d = CannotGrow(*schema, *it->second)) return d;
  }
  return std::nullopt;
}

bool TablesSame(const std::map<std::string, std::unique_ptr<Schema>, std::less<>>& a,
                const std::map<std::string, std::unique_ptr<Schema>, std::less<>>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, schema] : a) {
    auto it = b.find(name);
    if (it == b.end() || schema->shape.fields != it->second->shape.fields) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> SchemaTable::GrowthRefusal(const SchemaTable& other) const {
  if (auto d = TablesCannotGrow(events_, other.events_, "event")) return d;
  return TablesCannotGrow(profiles_, other.profiles_, "profile");
}

bool SchemaTable::SameLayout(const SchemaTable& other) const {
  return TablesSame(events_, other.events_) && TablesSame(profiles_, other.profiles_);
}

bool SchemaTable::Add(Schema schema) {
  auto& table = schema.kind == RecordKind::kEvent ? events_ : profiles_;
  if (table.count(schema.name)) return false;
  schema.index.clear();
  schema.shape = {schema.name, {}};
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    FieldLayout& f = schema.fields[i];
    f.slot = i;
    schema.shape.fields.push_back(f.name);
    schema.index.emplace(f.name, i);
    if (f.key) schema.key_slot = i;
    if (f.implicit && f.name == "at") schema.at_slot = i;
  }
  std::string name = schema.name;
  table.emplace(std::move(name), std::make_unique<Schema>(std::move(schema)));
  return true;
}

SchemaTable SchemaTable::Build(const compiler::Program& program) {
  std::vector<std::string> profile_names;
  for (const auto& file : program.files)
    if (file->ast)
      for (const auto& p : file->ast->profiles) profile_names.push_back(p.name.text);

  auto layout = [&](const compiler::ast::FieldDecl& f) {
    FieldLayout out;
    out.name = f.name.text;
    out.type = ResolveFieldType(f.type, profile_names);
    out.optional = f.optional;
    out.key = f.key;
    return out;
  };

  SchemaTable table;
  for (const auto& file : program.files) {
    if (!file->ast) continue;
    for (const auto& p : file->ast->profiles) {
      Schema s;
      s.name = p.name.text;
      s.kind = RecordKind::kProfile;
      for (const auto& f : p.fields) s.fields.push_back(layout(f));
      table.Add(std::move(s));
    }
    for (const auto& e : file->ast->events) {
      Schema s;
      s.name = e.name.text;
      s.kind = RecordKind::kEvent;
      s.key_profile = e.key_profile.text;
      for (const auto& f : e.fields) {
        FieldLayout l = layout(f);
        l.key = f.name.text == e.KeyFieldName().text;
        s.fields.push_back(std::move(l));
      }
      FieldLayout at;
      at.name = "at";
      at.type = Type::Timestamp();
      at.implicit = true;
      s.fields.push_back(std::move(at));
      table.Add(std::move(s));
    }
  }
  return table;
}

const Schema* SchemaTable::FindEvent(std::string_view name) const {
  auto it = events_.find(name);
  return it == events_.end() ? nullptr : it->second.get();
}

const Schema* SchemaTable::FindProfile(std::string_view name) const {
  auto it = profiles_.find(name);
  return it == profiles_.end() ? nullptr : it->second.get();
}

const Schema* SchemaTable::Find(RecordKind kind, std::string_view name) const {
  return kind == RecordKind::kEvent ? FindEvent(name) : FindProfile(name);
}

std::vector<std::string> SchemaTable::EventNames() const {
  std::vector<std::string> out;
  for (const auto& [name, s] : events_) out.push_back(name);
  return out;
}

std::vector<std::string> SchemaTable::ProfileNames() const {
  std::vector<std::string> out;
  for (const auto& [name, s] : profiles_) out.push_back(name);
  return out;
}

}  // namespace tutti::runtime
