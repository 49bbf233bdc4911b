#include "compiler/eval/functions.h"

namespace tutti::compiler::eval {

bool FunctionTable::Add(std::string id, NativeFunction fn) {
  return table_.emplace(std::move(id), fn).second;
}

NativeFunction FunctionTable::Find(std::string_view id) const {
  auto it = table_.find(id);
  return it == table_.end() ? nullptr : it->second;
}

bool ValueFits(const Type& type, const Value& value) {
  switch (type.kind()) {
    case TypeKind::kError:
    case TypeKind::kDyn:
    case TypeKind::kParam: return true;
    case TypeKind::kNull: return value.is(ValueKind::kNull);
    case TypeKind::kBool: return value.is(ValueKind::kBool);
    case TypeKind::kInt: return value.is(ValueKind::kInt);
    case TypeKind::kUint: return value.is(ValueKind::kUint);
    case TypeKind::kDouble: return value.is(ValueKind::kDouble);
    case TypeKind::kString: return value.is(ValueKind::kString);
    case TypeKind::kBytes: return value.is(ValueKind::kBytes);
    case TypeKind::kTimestamp: return value.is(ValueKind::kTimestamp);
    case TypeKind::kDuration: return value.is(ValueKind::kDuration);
    case TypeKind::kList: return value.is(ValueKind::kList);
    case TypeKind::kMap: return value.is(ValueKind::kMap);
    case TypeKind::kType: return value.is(ValueKind::kType);
    case TypeKind::kAnyProfile: return value.is(ValueKind::kRecord);
    case TypeKind::kProfile:
    case TypeKind::kEvent:
      return value.is(ValueKind::kRecord) && value.AsRecord().type_name() == type.name();
  }
  return false;
}

Functions::Functions(const BuiltinRegistry& registry, const FunctionTable& table) {
  for (const Overload& o : registry.overloads())
    by_name_[{o.name, o.receiver_style}].push_back({&o, table.Find(o.id)});
}

const std::vector<Functions::Candidate>* Functions::Find(std::string_view name,
                                                         bool receiver_style) const {
  auto it = by_name_.find(std::pair<std::string, bool>(std::string(name), receiver_style));
  return it == by_name_.end() ? nullptr : &it->second;
}

Value Functions::Call(std::string_view name, bool receiver_style, std::span<const Value> args) const {
  return Call(Find(name, receiver_style), name, args);
}

Value Functions::Call(const std::vector<Candidate>* candidates, std::string_view name,
                      std::span<const Value> args) {
  for (const Value& v : args)
    if (v.IsError()) return v;
  if (candidates == nullptr) return Value::Error("unknown function '" + std::string(name) + "'");
  for (const auto& c : *candidates) {
    const auto& params = c.overload->params;
    if (params.size() != args.size()) continue;
    bool fits = true;
    for (size_t i = 0; i < params.size() && fits; ++i) fits = ValueFits(params[i], args[i]);
    if (!fits) continue;
    if (c.fn == nullptr) return Value::Error("no implementation for '" + c.overload->id + "'");
    return c.fn(args);
  }
  std::string kinds;
  for (const Value& v : args) kinds += (kinds.empty() ? "" : ", ") + TypeName(v);
  return Value::Error("no matching overload for '" + std::string(name) + "' applied to (" + kinds + ")");
}

std::vector<std::string> Functions::Unimplemented() const {
  std::vector<std::string> out;
  for (const auto& [key, candidates] : by_name_)
    for (const Candidate& c : candidates)
      if (c.fn == nullptr) out.push_back(c.overload->id);
  return out;
}

}  // namespace tutti::compiler::eval
