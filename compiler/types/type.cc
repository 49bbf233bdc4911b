#include "compiler/types/type.h"

namespace tutti::compiler {

Type Type::List(Type elem, bool is_set) {
  return Type(TypeKind::kList, is_set ? "set" : "", {std::move(elem)});
}

Type Type::Map(Type key, Type value) {
  return Type(TypeKind::kMap, "", {std::move(key), std::move(value)});
}

std::string Type::ToString() const {
  switch (kind_) {
    case TypeKind::kError: return "error";
    case TypeKind::kDyn: return "dyn";
    case TypeKind::kNull: return "null";
    case TypeKind::kBool: return "bool";
    case TypeKind::kInt: return "int";
    case TypeKind::kUint: return "uint";
    case TypeKind::kDouble: return "double";
    case TypeKind::kString: return "string";
    case TypeKind::kBytes: return "bytes";
    case TypeKind::kTimestamp: return "timestamp";
    case TypeKind::kDuration: return "duration";
    case TypeKind::kList: return (name_ == "set" ? "set<" : "list<") + elem().ToString() + ">";
    case TypeKind::kMap: return "map<" + key().ToString() + ", " + value().ToString() + ">";
    case TypeKind::kProfile: return "profile " + name_;
    case TypeKind::kEvent: return "event " + name_;
    case TypeKind::kAnyProfile: return "profile";
    case TypeKind::kParam: return name_;
    case TypeKind::kType: return "type";
  }
  return "?";
}

bool Assignable(const Type& expected, const Type& actual,
                std::vector<std::pair<std::string, Type>>* bindings) {
  if (expected.IsErrorOrDyn() || actual.IsErrorOrDyn()) return true;
  if (expected.is(TypeKind::kParam)) {
    if (bindings == nullptr) return true;
    for (auto& [name, bound] : *bindings) {
      if (name == expected.name()) {
        if (Assignable(bound, actual, nullptr)) return true;
        if (Assignable(actual, bound, nullptr)) {
          bound = actual;
          return true;
        }
        return false;
      }
    }
    bindings->emplace_back(expected.name(), actual);
    return true;
  }
  if (expected.is(TypeKind::kAnyProfile)) return actual.is(TypeKind::kProfile);
  if (actual.is(TypeKind::kNull)) {
    return expected.is(TypeKind::kNull) || expected.IsRecord() || expected.is(TypeKind::kList) ||
           expected.is(TypeKind::kMap);
  }
  if (expected.kind() != actual.kind()) return false;
  if (expected.IsRecord()) return expected.name() == actual.name();
  for (size_t i = 0; i < expected.params().size() && i < actual.params().size(); ++i) {
    if (!Assignable(expected.params()[i], actual.params()[i], bindings)) return false;
  }
  return true;
}

Type Substitute(const Type& t, const std::vector<std::pair<std::string, Type>>& bindings) {
  if (t.is(TypeKind::kParam)) {
    for (const auto& [name, bound] : bindings)
      if (name == t.name()) return bound;
    return Type::Dyn();
  }
  if (t.params().empty()) return t;
  std::vector<Type> params;
  for (const Type& p : t.params()) params.push_back(Substitute(p, bindings));
  return Type(t.kind(), t.name(), std::move(params));
}

Type Join(const Type& a, const Type& b) {
  if (a.is(TypeKind::kError) || b.is(TypeKind::kError)) return Type::Error();
  if (a == b) return a;
  if (a.is(TypeKind::kNull)) return b;
  if (b.is(TypeKind::kNull)) return a;
  if (a.kind() == b.kind() && a.kind() == TypeKind::kList)
    return Type::List(Join(a.elem(), b.elem()));
  if (a.kind() == b.kind() && a.kind() == TypeKind::kMap)
    return Type::Map(Join(a.key(), b.key()), Join(a.value(), b.value()));
  return Type::Dyn();
}

}  // namespace tutti::compiler
