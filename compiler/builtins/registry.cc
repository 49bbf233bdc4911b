#include "compiler/builtins/registry.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace tutti::compiler {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits on commas at angle-bracket depth 0.
std::vector<std::string_view> SplitTop(std::string_view s) {
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t begin = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<') ++depth;
    if (s[i] == '>') --depth;
    if (s[i] == ',' && depth == 0) {
      parts.push_back(Trim(s.substr(begin, i - begin)));
      begin = i + 1;
    }
  }
  if (!Trim(s.substr(begin)).empty()) parts.push_back(Trim(s.substr(begin)));
  return parts;
}

}  // namespace

bool ParseSignatureType(std::string_view text, Type* out) {
  text = Trim(text);
  size_t lt = text.find('<');
  std::string_view head = Trim(text.substr(0, lt));
  std::vector<Type> args;
  if (lt != std::string_view::npos) {
    if (text.back() != '>') return false;
    for (auto part : SplitTop(text.substr(lt + 1, text.size() - lt - 2))) {
      Type t;
      if (!ParseSignatureType(part, &t)) return false;
      args.push_back(std::move(t));
    }
  }
  static const std::pair<const char*, TypeKind> kSimple[] = {
      {"int", TypeKind::kInt},       {"uint", TypeKind::kUint},
      {"double", TypeKind::kDouble}, {"bool", TypeKind::kBool},
      {"string", TypeKind::kString}, {"bytes", TypeKind::kBytes},
      {"null", TypeKind::kNull},     {"timestamp", TypeKind::kTimestamp},
      {"duration", TypeKind::kDuration}, {"dyn", TypeKind::kDyn},
      {"type", TypeKind::kType},     {"profile", TypeKind::kAnyProfile},
  };
  for (const auto& [name, kind] : kSimple) {
    if (head == name) {
      if (!args.empty()) return false;
      *out = Type(kind);
      return true;
    }
  }
  if ((head == "list" || head == "set") && args.size() == 1) {
    *out = Type::List(args[0], head == "set");
    return true;
  }
  if (head == "map" && args.size() == 2) {
    *out = Type::Map(args[0], args[1]);
    return true;
  }
  if (head.size() == 1 && std::isupper(static_cast<unsigned char>(head[0])) && args.empty()) {
    *out = Type::Param(std::string(head));
    return true;
  }
  return false;
}

std::string BuiltinRegistry::Name(std::string_view id, NamedArgument argument) {
  for (Overload& o : overloads_) {
    if (o.id != id) continue;
    if (argument.param >= o.params.size() || !o.params[argument.param].is(TypeKind::kString))
      return "parameter " + std::to_string(argument.param) + " of " + o.id + " is not a string";
    o.named.push_back(std::move(argument));
    return {};
  }
  return "no overload " + std::string(id);
}

std::string BuiltinRegistry::Add(std::string_view signature, std::string_view doc,
                                 std::string_view family) {
  size_t open = signature.find('(');
  size_t close = signature.rfind(')');
  size_t arrow = signature.find("->", close == std::string_view::npos ? 0 : close);
  if (open == std::string_view::npos || close == std::string_view::npos || close < open ||
      arrow == std::string_view::npos)
    return "signature must look like name(T, ...) -> T: " + std::string(signature);
  Overload o;
  std::string_view head = Trim(signature.substr(0, open));
  size_t dot = head.rfind('.');
  if (dot != std::string_view::npos) {
    o.receiver_style = true;
    Type recv;
    if (!ParseSignatureType(head.substr(0, dot), &recv))
      return "unknown receiver type in " + std::string(signature);
    o.params.push_back(recv);
    head = head.substr(dot + 1);
  }
  o.name = std::string(head);
  for (auto part : SplitTop(signature.substr(open + 1, close - open - 1))) {
    Type t;
    if (!ParseSignatureType(part, &t)) return "unknown type '" + std::string(part) + "' in " + std::string(signature);
    o.params.push_back(std::move(t));
  }
  if (!ParseSignatureType(signature.substr(arrow + 2), &o.result))
    return "unknown result type in " + std::string(signature);
  o.id = std::string(Trim(signature.substr(0, close + 1)));
  o.doc = std::string(doc);
  o.family = std::string(family);
  for (const Overload& existing : overloads_)
    if (existing.id == o.id) return "built-in declared twice: " + o.id;
  overloads_.push_back(std::move(o));
  return {};
}

std::vector<const Overload*> BuiltinRegistry::Find(std::string_view name, bool receiver_style) const {
  std::vector<const Overload*> out;
  for (const Overload& o : overloads_)
    if (o.name == name && o.receiver_style == receiver_style) out.push_back(&o);
  return out;
}

bool BuiltinRegistry::Has(std::string_view name) const {
  for (const Overload& o : overloads_)
    if (o.name == name) return true;
  return false;
}

std::vector<std::string> BuiltinRegistry::Names() const {
  std::set<std::string> names;
  for (const Overload& o : overloads_) names.insert(o.name);
  return {names.begin(), names.end()};
}

}  // namespace tutti::compiler
