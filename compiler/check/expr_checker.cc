#include "compiler/check/expr_checker.h"

#include <algorithm>
#include <set>

#include "compiler/check/suggest.h"

namespace tutti::compiler::internal {

// ---------------------------------------------------------------- scope

const Variable* Scope::Find(const std::string& name) const {
  for (const Scope* s = this; s != nullptr; s = s->parent_) {
    auto it = s->vars_.find(name);
    if (it != s->vars_.end()) return &it->second;
  }
  return nullptr;
}

Variable* Scope::FindLocal(const std::string& name) {
  auto it = vars_.find(name);
  return it == vars_.end() ? nullptr : &it->second;
}

std::vector<std::string> Scope::AllNames() const {
  std::set<std::string> names;
  for (const Scope* s = this; s != nullptr; s = s->parent_)
    for (const auto& [name, v] : s->vars_) names.insert(name);
  return {names.begin(), names.end()};
}

// ---------------------------------------------------------------- helpers

namespace {

bool IsTypeDenotation(const std::string& name) {
  static const std::set<std::string> kNames = {"int", "uint", "double", "bool", "string", "bytes",
                                                "list", "map", "null_type", "type", "timestamp",
                                                "duration", "dyn"};
  return kNames.count(name) > 0;
}

std::string Signature(const Overload& o) {
  std::string s;
  size_t first = 0;
  if (o.receiver_style) {
    s = o.params[0].ToString() + ".";
    first = 1;
  }
  s += o.name + "(";
  for (size_t i = first; i < o.params.size(); ++i) s += (i > first ? ", " : "") + o.params[i].ToString();
  return s + ")";
}

std::string ArgList(const std::vector<Type>& args) {
  std::string s = "(";
  for (size_t i = 0; i < args.size(); ++i) s += (i ? ", " : "") + args[i].ToString();
  return s + ")";
}

bool Comparable(const Type& a, const Type& b) {
  if (a.IsErrorOrDyn() || b.IsErrorOrDyn()) return true;
  if (a.IsNumeric() && b.IsNumeric()) return true;
  return Assignable(a, b) || Assignable(b, a);
}

}  // namespace

Type ExprChecker::Error(Code code, SourceRange at, std::string message) {
  sink_.Error(code, {&source_, at}, std::move(message));
  return Type::Error();
}

Type ExprChecker::Resolve(const ast::TypeRef& ref) {
  const std::string& n = ref.name.text;
  auto arity = [&](size_t want) {
    if (ref.args.size() == want) return true;
    Error(Code::kArity, ref.range, "'" + n + "' takes " + std::to_string(want) + " type argument" +
                         (want == 1 ? "" : "s") + ", as in " +
                         (want == 1 ? n + "<string>" : n + "<string, int>"));
    return false;
  };
  if (n == "list" || n == "set") {
    if (!arity(1)) return Type::Error();
    return Type::List(Resolve(ref.args[0]), n == "set");
  }
  if (n == "map") {
    if (!arity(2)) return Type::Error();
    return Type::Map(Resolve(ref.args[0]), Resolve(ref.args[1]));
  }
  Type t;
  if (ref.args.empty() && ParseSignatureType(n, &t) && !t.is(TypeKind::kParam) &&
      !t.is(TypeKind::kAnyProfile) && !t.is(TypeKind::kType) && !t.is(TypeKind::kNull))
    return t;
  if (symbols_.profiles.count(n)) {
    if (!arity(0)) return Type::Error();
    return Type::Profile(n);
  }
  std::vector<std::string> names = {"string", "int", "uint", "double", "bool", "bytes",
                                    "timestamp", "duration", "list", "set", "map", "dyn"};
  for (const auto& p : Symbols::Names(symbols_.profiles)) names.push_back(p);
  SuggestFix(sink_.Error(Code::kUnknownDeclaration, {&source_, ref.name.range},
                         "unknown type '" + n + "'" + DidYouMean(n, names) +
                             "; types are string, int, uint, double, bool, bytes, timestamp, duration, list<T>, "
                             "set<T>, map<K, V> or a profile"),
             ref.name.range, n, names);
  return Type::Error();
}

Type ExprChecker::ResolveQuietly(const ast::TypeRef& ref) {
  DiagnosticSink quiet;
  ExprChecker resolver(source_, symbols_, builtins_, quiet, result_);
  return resolver.Resolve(ref);
}

Type ExprChecker::FieldType(const Type& record, const ast::Name& field) {
  const std::vector<ast::FieldDecl>* fields = nullptr;
  const Source* decl_source = nullptr;
  SourceRange decl_range;
  std::string what;
  if (record.is(TypeKind::kProfile)) {
    auto it = symbols_.profiles.find(record.name());
    if (it == symbols_.profiles.end()) return Type::Error();
    fields = &it->second.decl->fields;
    decl_source = it->second.file->source.get();
    decl_range = it->second.decl->name.range;
    what = "profile '" + record.name() + "'";
  } else if (record.is(TypeKind::kEvent)) {
    if (field.text == "at") return Type::Timestamp();
    auto it = symbols_.events.find(record.name());
    if (it == symbols_.events.end()) return Type::Error();
    fields = &it->second.decl->fields;
    decl_source = it->second.file->source.get();
    decl_range = it->second.decl->name.range;
    what = "event '" + record.name() + "'";
  } else {
    return Type::Dyn();
  }
  std::vector<std::string> names;
  for (const ast::FieldDecl& f : *fields) {
    if (f.name.text == field.text) {
      return ResolveQuietly(f.type);
    }
    names.push_back(f.name.text);
  }
  if (record.is(TypeKind::kEvent)) names.push_back("at");
  Diagnostic& d = sink_.Error(Code::kUnknownField, {&source_, field.range},
                              what + " has no field '" + field.text + "'" +
                                  DidYouMean(field.text, names));
  SuggestFix(d, field.range, field.text, names);
  d.notes.push_back({{decl_source, decl_range}, what + " is declared here"});
  return Type::Error();
}

Type ExprChecker::Expect(const ast::Expr& e, const Scope& scope, const Type& want,
                         const std::string& what) {
  Type got = Check(e, scope);
  if (!Assignable(want, got)) {
    Error(Code::kTypeMismatch, e.range, what + " must be " + (want.is(TypeKind::kBool) ? "a bool" : want.ToString()) +
                       ", but this is " + got.ToString());
    return Type::Error();
  }
  return got;
}

Type ExprChecker::Check(const ast::Expr& e, const Scope& scope) {
  Type t = CheckUncached(e, scope);
  if (types_.insert_or_assign(&e, t).second) result_.exprs[&source_].push_back(&e);
  return t;
}

Type ExprChecker::CheckUncached(const ast::Expr& e, const Scope& scope) {
  switch (e.kind) {
    case ast::ExprKind::kLiteral:
      return std::visit(
          [](const auto& v) -> Type {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, ast::NullValue>) return Type::Null();
            else if constexpr (std::is_same_v<V, bool>) return Type::Bool();
            else if constexpr (std::is_same_v<V, int64_t>) return Type::Int();
            else if constexpr (std::is_same_v<V, uint64_t>) return Type::Uint();
            else if constexpr (std::is_same_v<V, double>) return Type::Double();
            else if constexpr (std::is_same_v<V, std::string>) return Type::String();
            else if constexpr (std::is_same_v<V, ast::Bytes>) return Type::Bytes();
            else return Type::Duration();
          },
          e.literal);
    case ast::ExprKind::kIdent: return CheckIdent(e, scope);
    case ast::ExprKind::kSelect: return CheckSelect(e, scope);
    case ast::ExprKind::kHas: {
      const ast::Expr& sel = *e.args[0];
      Type target = Check(*sel.target, scope);
      if (target.IsRecord()) FieldType(target, sel.name);
      else if (!target.IsErrorOrDyn() && !target.is(TypeKind::kMap))
        Error(Code::kTypeMismatch, sel.target->range, "has() tests a field of a record or a key of a map, not a " + target.ToString());
      return Type::Bool();
    }
    case ast::ExprKind::kCall: return CheckCall(e, scope);
    case ast::ExprKind::kMacro: return CheckMacro(e, scope);
    case ast::ExprKind::kIndex: return CheckIndex(e, scope);
    case ast::ExprKind::kList: {
      Type elem;
      bool first = true;
      for (const auto& a : e.args) {
        Type t = Check(*a, scope);
        elem = first ? t : Join(elem, t);
        first = false;
      }
      return Type::List(first ? Type::Dyn() : elem);
    }
    case ast::ExprKind::kMap: {
      Type key, value;
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
        Type k = Check(*e.args[i], scope), v = Check(*e.args[i + 1], scope);
        if (!k.IsErrorOrDyn() && !k.is(TypeKind::kString) && !k.is(TypeKind::kInt) &&
            !k.is(TypeKind::kUint) && !k.is(TypeKind::kBool))
          Error(Code::kTypeMismatch, e.args[i]->range, "map keys must be string, int, uint or bool, not " + k.ToString());
        key = i == 0 ? k : Join(key, k);
        value = i == 0 ? v : Join(value, v);
      }
      return e.args.empty() ? Type::Map(Type::Dyn(), Type::Dyn()) : Type::Map(key, value);
    }
    case ast::ExprKind::kUnary: return CheckUnary(e, scope);
    case ast::ExprKind::kBinary: return CheckBinary(e, scope);
    case ast::ExprKind::kConditional: {
      Expect(*e.args[0], scope, Type::Bool(), "the condition before '?'");
      return Join(Check(*e.args[1], scope), Check(*e.args[2], scope));
    }
  }
  return Type::Error();
}

Type ExprChecker::CheckIdent(const ast::Expr& e, const Scope& scope) {
  const std::string& name = e.name.text;
  if (const Variable* v = scope.Find(name)) {
    if (!v->unavailable.empty()) {
      Diagnostic& d = sink_.Error(Code::kMaybeUnavailable, {&source_, e.range}, "'" + name + "' may not be available here: " + v->unavailable);
      if (v->declared.end > v->declared.begin)
        d.notes.push_back({{&source_, v->declared}, "'" + name + "' is bound here"});
      return Type::Error();
    }
    return v->type;
  }
  if (IsTypeDenotation(name)) return Type::TypeOfTypes();
  std::vector<std::string> names = scope.AllNames();
  std::string hint = DidYouMean(name, names);
  std::string known;
  for (size_t i = 0; i < names.size() && i < 8; ++i) known += (i ? ", " : "") + names[i];
  SuggestFix(sink_.Error(Code::kUnknownName, {&source_, e.name.range},
                         "unknown name '" + name + "'" + hint + (known.empty() ? "" : "; in scope here: " + known)),
             e.name.range, name, names);
  return Type::Error();
}

Type ExprChecker::CheckSelect(const ast::Expr& e, const Scope& scope) {
  Type target = Check(*e.target, scope);
  if (target.is(TypeKind::kError)) return target;
  if (target.IsRecord()) return FieldType(target, e.name);
  if (target.is(TypeKind::kMap)) {
    if (!Assignable(target.key(), Type::String()))
      return Error(Code::kTypeMismatch, e.name.range, "'." + e.name.text + "' selects a string key, but the map's keys are " + target.key().ToString());
    return target.value();
  }
  if (target.is(TypeKind::kDyn)) return Type::Dyn();
  return Error(Code::kUnknownField, e.name.range, "a " + target.ToString() + " has no fields; '." + e.name.text +
                                 "' needs a profile, an event or a map");
}

Type ExprChecker::CheckIndex(const ast::Expr& e, const Scope& scope) {
  Type target = Check(*e.target, scope);
  Type index = Check(*e.args[0], scope);
  if (target.is(TypeKind::kList)) {
    if (!Assignable(Type::Int(), index) && !index.is(TypeKind::kUint) && !index.is(TypeKind::kDouble))
      Error(Code::kTypeMismatch, e.args[0]->range, "a list index must be an int, not " + index.ToString());
    return target.elem();
  }
  if (target.is(TypeKind::kMap)) {
    if (!Comparable(target.key(), index))
      Error(Code::kTypeMismatch, e.args[0]->range, "this map's keys are " + target.key().ToString() + ", not " + index.ToString());
    return target.value();
  }
  if (target.IsErrorOrDyn()) return target;
  return Error(Code::kTypeMismatch, e.range, "only lists and maps can be indexed, not a " + target.ToString());
}

void ExprChecker::CheckNamedArguments(const ast::Expr& e, const Overload& o) {
  size_t first = e.target != nullptr ? 1 : 0;
  for (const NamedArgument& n : o.named) {
    if (n.param < first || n.param - first >= e.args.size()) continue;
    const ast::Expr& arg = *e.args[n.param - first];
    std::vector<std::string> names = n.also;
    if (n.events)
      for (const auto& [name, d] : symbols_.events) names.push_back(name);
    if (n.channels)
      for (const auto& [name, d] : symbols_.channels) names.push_back(name);
    auto known = [&](const std::string& x) { return std::find(names.begin(), names.end(), x) != names.end(); };
    const auto* text = std::get_if<std::string>(&arg.literal);
    if (arg.kind == ast::ExprKind::kLiteral && text != nullptr && !known(*text)) {
      SuggestFix(sink_.Warning(Code::kNamesNothing, {&source_, arg.range}, "\"" + *text + "\" is not " + n.what + ", so " + o.name +
                                                          "() finds nothing for it" + DidYouMean(*text, names)),
                 arg.range, *text, names, /*quoted=*/true);
    } else if (arg.kind == ast::ExprKind::kIdent && arg.name.text == "option" && options_ != nullptr) {
      for (const ast::Name& label : *options_) {
        if (known(label.text)) continue;
        Diagnostic& d = sink_.Warning(Code::kNamesNothing, {&source_, label.range}, "option '" + label.text + "' is not " + n.what +
                                                                   ", so " + o.name + "() finds nothing for it" +
                                                                   DidYouMean(label.text, names));
        d.notes.push_back({{&source_, e.range}, "the option is scored here"});
        SuggestFix(d, label.range, label.text, names);
      }
    }
  }
}

void ExprChecker::CheckOptionCompared(const ast::Expr& e) {
  if (options_ == nullptr) return;
  for (size_t side = 0; side < 2; ++side) {
    const ast::Expr& option = *e.args[side];
    const ast::Expr& value = *e.args[1 - side];
    const auto* text = std::get_if<std::string>(&value.literal);
    if (option.kind != ast::ExprKind::kIdent || option.name.text != "option" ||
        value.kind != ast::ExprKind::kLiteral || text == nullptr)
      continue;
    std::vector<std::string> labels;
    for (const ast::Name& label : *options_) labels.push_back(label.text);
    if (std::find(labels.begin(), labels.end(), *text) != labels.end()) return;
    SuggestFix(sink_.Warning(Code::kNoSuchOption, {&source_, value.range}, "no option is labelled \"" + *text + "\", so this is always " +
                                                          (e.op == ast::Op::kEq ? "false" : "true") +
                                                          DidYouMean(*text, labels)),
               value.range, *text, labels, /*quoted=*/true);
    return;
  }
}

Type ExprChecker::CheckCall(const ast::Expr& e, const Scope& scope) {
  std::vector<Type> args;
  bool receiver = e.target != nullptr;
  if (receiver) args.push_back(Check(*e.target, scope));
  for (const auto& a : e.args) args.push_back(Check(*a, scope));
  for (const Type& t : args)
    if (t.is(TypeKind::kError)) return Type::Error();
  auto overloads = builtins_.Find(e.name.text, receiver);
  if (overloads.empty()) {
    if (builtins_.Has(e.name.text)) {
      return Error(Code::kArity, e.name.range, receiver ? "'" + e.name.text + "' is a function: call it as " + e.name.text + "(x, ...)"
                                          : "'" + e.name.text + "' is a method: call it on a value, as x." + e.name.text + "(...)");
    }
    SuggestFix(sink_.Error(Code::kUnknownFunction, {&source_, e.name.range},
                           "unknown function '" + e.name.text + "'" + DidYouMean(e.name.text, builtins_.Names())),
               e.name.range, e.name.text, builtins_.Names());
    return Type::Error();
  }
  std::vector<Type> results;
  for (const Overload* o : overloads) {
    if (o->params.size() != args.size()) continue;
    std::vector<std::pair<std::string, Type>> bindings;
    bool ok = true;
    for (size_t i = 0; i < args.size() && ok; ++i) ok = Assignable(o->params[i], args[i], &bindings);
    if (!ok) continue;
    results.push_back(Substitute(o->result, bindings));
    CheckNamedArguments(e, *o);
  }
  if (results.empty()) {
    std::vector<Type> shown(args.begin() + (receiver ? 1 : 0), args.end());
    std::string msg = "no form of '" + e.name.text + "' takes " +
                      (receiver ? "a " + args[0].ToString() + " receiver and " : std::string()) +
                      "arguments " + ArgList(shown) + "; it takes ";
    for (size_t i = 0; i < overloads.size() && i < 6; ++i) msg += (i ? ", " : "") + Signature(*overloads[i]);
    if (overloads.size() > 6) msg += ", ...";
    return Error(Code::kArity, e.range, msg);
  }
  for (const Type& r : results)
    if (!(r == results[0])) return Type::Dyn();
  return results[0];
}

Type ExprChecker::CheckMacro(const ast::Expr& e, const Scope& scope) {
  Type range = Check(*e.target, scope);
  Type elem = Type::Dyn();
  if (range.is(TypeKind::kList)) elem = range.elem();
  else if (range.is(TypeKind::kMap)) elem = range.key();
  else if (!range.IsErrorOrDyn())
    return Error(Code::kTypeMismatch, e.target->range, "'" + e.name.text + "' iterates over a list or a map, not a " + range.ToString());
  Scope inner(&scope);
  inner.Define(e.var.text, {elem, e.var.range});
  const std::string& m = e.name.text;
  if (m == "map") {
    if (e.args.size() == 2) Expect(*e.args[0], inner, Type::Bool(), "the filter of 'map'");
    return Type::List(Check(*e.args.back(), inner));
  }
  Expect(*e.args[0], inner, Type::Bool(), "the predicate of '" + m + "'");
  if (m == "filter") return Type::List(elem);
  return Type::Bool();
}

Type ExprChecker::CheckUnary(const ast::Expr& e, const Scope& scope) {
  Type t = Check(*e.target, scope);
  if (t.IsErrorOrDyn()) return t;
  if (e.op == ast::Op::kNot) {
    if (!t.is(TypeKind::kBool)) return Error(Code::kTypeMismatch, e.range, "'!' needs a bool, not " + t.ToString());
    return t;
  }
  if (t.is(TypeKind::kInt) || t.is(TypeKind::kDouble) || t.is(TypeKind::kDuration)) return t;
  return Error(Code::kTypeMismatch, e.range, "'-' needs an int, double or duration, not " + t.ToString());
}

void ExprChecker::CheckConsentTopic(const ast::Expr& e, const Type& in) {
  const ast::Expr& topic = *e.args[0];
  const ast::Expr& consent = *e.args[1];
  const auto* text = std::get_if<std::string>(&topic.literal);
  if (topic.kind != ast::ExprKind::kLiteral || text == nullptr || consent.kind != ast::ExprKind::kSelect ||
      consent.name.text != "consent" || !in.is(TypeKind::kList))
    return;
  auto owner = types_.find(consent.target.get());
  if (owner == types_.end() || !owner->second.is(TypeKind::kProfile)) return;
  std::vector<std::string> topics;
  for (const auto& [name, channel] : symbols_.channels)
    if (channel.decl->consent) topics.push_back(channel.decl->consent->text);
  if (topics.empty()) return;  // no channel in sight to compare with
  for (const std::string& t : topics)
    if (t == *text) return;
  SuggestFix(sink_.Warning(Code::kUnknownConsentTopic, {&source_, topic.range}, "no channel declares the consent topic \"" + *text + "\"" +
                                                        DidYouMean(*text, topics) + ", so this is false for every " +
                                                        owner->second.name()),
             topic.range, *text, topics, /*quoted=*/true);
}

Type ExprChecker::CheckBinary(const ast::Expr& e, const Scope& scope) {
  Type a = Check(*e.args[0], scope);
  Type b = Check(*e.args[1], scope);
  const char* op = ast::OpSpelling(e.op);
  auto bad = [&]() {
    return Error(Code::kTypeMismatch, e.range, std::string("'") + op + "' cannot combine " + a.ToString() + " and " + b.ToString());
  };
  switch (e.op) {
    case ast::Op::kAnd:
    case ast::Op::kOr:
      if (!Assignable(Type::Bool(), a)) Error(Code::kTypeMismatch, e.args[0]->range, std::string("'") + op + "' needs bools, but this is " + a.ToString());
      if (!Assignable(Type::Bool(), b)) Error(Code::kTypeMismatch, e.args[1]->range, std::string("'") + op + "' needs bools, but this is " + b.ToString());
      return Type::Bool();
    case ast::Op::kEq:
    case ast::Op::kNe:
      CheckOptionCompared(e);
      if (!Comparable(a, b))
        return Error(Code::kAlwaysSame, e.range, "comparing " + a.ToString() + " with " + b.ToString() + " is always " +
                                  (e.op == ast::Op::kEq ? "false" : "true") + "; convert one side");
      return Type::Bool();
    case ast::Op::kLt: case ast::Op::kLe: case ast::Op::kGt: case ast::Op::kGe: {
      if (a.IsErrorOrDyn() || b.IsErrorOrDyn()) return Type::Bool();
      bool ok = (a.IsNumeric() && b.IsNumeric()) ||
                (a == b && (a.is(TypeKind::kString) || a.is(TypeKind::kBytes) || a.is(TypeKind::kBool) ||
                            a.is(TypeKind::kTimestamp) || a.is(TypeKind::kDuration)));
      if (!ok) return bad();
      return Type::Bool();
    }
    case ast::Op::kIn:
      CheckConsentTopic(e, b);
      if (b.is(TypeKind::kList)) {
        if (!Comparable(b.elem(), a)) return Error(Code::kAlwaysSame, e.range, "'in' looks for a " + a.ToString() + " in a list of " + b.elem().ToString() + "; it is never there");
      } else if (b.is(TypeKind::kMap)) {
        if (!Comparable(b.key(), a)) return Error(Code::kAlwaysSame, e.range, "'in' looks for a " + a.ToString() + " among keys of type " + b.key().ToString());
      } else if (!b.IsErrorOrDyn()) {
        return Error(Code::kTypeMismatch, e.args[1]->range, "'in' needs a list or a map on its right, not " + b.ToString());
      }
      return Type::Bool();
    default: break;
  }
  if (a.IsErrorOrDyn() || b.IsErrorOrDyn()) {
    if (a.is(TypeKind::kError) || b.is(TypeKind::kError)) return Type::Error();
    return a.is(TypeKind::kDyn) ? b : a;
  }
  using K = TypeKind;
  switch (e.op) {
    case ast::Op::kAdd:
      if (a == b && (a.IsNumeric() || a.is(K::kString) || a.is(K::kBytes) || a.is(K::kDuration))) return a;
      if (a.is(K::kList) && b.is(K::kList)) return Join(a, b);
      if (a.is(K::kTimestamp) && b.is(K::kDuration)) return a;
      if (a.is(K::kDuration) && b.is(K::kTimestamp)) return b;
      return bad();
    case ast::Op::kSub:
      if (a == b && (a.IsNumeric() || a.is(K::kDuration))) return a;
      if (a.is(K::kTimestamp) && b.is(K::kTimestamp)) return Type::Duration();
      if (a.is(K::kTimestamp) && b.is(K::kDuration)) return a;
      return bad();
    case ast::Op::kMul:
    case ast::Op::kDiv:
      if (a == b && a.IsNumeric()) return a;
      return bad();
    case ast::Op::kMod:
      if (a == b && (a.is(K::kInt) || a.is(K::kUint))) return a;
      return bad();
    default:
      return bad();
  }
}

}  // namespace tutti::compiler::internal
