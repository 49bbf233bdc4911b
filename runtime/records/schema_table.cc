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

std::optional<std::string> FieldsDiffer(const Schema& a, const Schema& b) {
  std::string what = std::string(RecordKindName(a.kind)) + " '" + a.name + "'";
  if (a.key_profile != b.key_profile) return what + " is now keyed by '" + b.key_profile + "'";
  for (size_t i = 0; i < std::max(a.fields.size(), b.fields.size()); ++i) {
    if (i >= a.fields.size()) return what + " has a new field '" + b.fields[i].name + "'";
    if (i >= b.fields.size()) return what + " no longer has field '" + a.fields[i].name + "'";
    const FieldLayout& x = a.fields[i];
    const FieldLayout& y = b.fields[i];
    if (x.name != y.name) return what + ": field '" + y.name + "' now stands where '" + x.name + "' was";
    if (!(x.type == y.type) || x.optional != y.optional)
      return what + ": field '" + x.name + "' changed from " + x.type.ToString() + (x.optional ? "?" : "") + " to " +
             y.type.ToString() + (y.optional ? "?" : "");
    if (x.key != y.key) return what + ": field '" + x.name + (y.key ? "' is now the key" : "' is no longer the key");
  }
  return std::nullopt;
}

std::optional<std::string> TablesDiffer(const std::map<std::string, std::unique_ptr<Schema>, std::less<>>& a,
                                        const std::map<std::string, std::unique_ptr<Schema>, std::less<>>& b,
                                        const char* kind, bool may_add) {
  for (const auto& [name, schema] : a) {
    auto it = b.find(name);
    if (it == b.end()) return std::string(kind) + " '" + name + "' is no longer declared";
    if (auto d = FieldsDiffer(*schema, *it->second)) return d;
  }
  for (const auto& [name, schema] : b)
    if (!may_add && !a.count(name)) return std::string(kind) + " '" + name + "' is newly declared";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> SchemaTable::LayoutDifference(const SchemaTable& other) const {
  if (auto d = TablesDiffer(events_, other.events_, "event", true)) return d;
  return TablesDiffer(profiles_, other.profiles_, "profile", false);
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
