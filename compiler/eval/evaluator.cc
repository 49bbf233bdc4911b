#include "compiler/eval/evaluator.h"

#include <cstring>
#include <optional>

#include "compiler/eval/operators.h"

namespace tutti::compiler::eval {

void Activation::BindCopy(std::string name, Value value) {
  for (const std::string& kept : copies_)
    if (kept == name) return Bind(std::string_view(kept), std::move(value));
  copies_.push_front(std::move(name));
  Bind(std::string_view(copies_.front()), std::move(value));
}

namespace {

/// Names are mostly borrowed from the program, so one name is often the
/// same text at the same address: tested before the bytes are. Names of
/// one length mostly differ in their first letter ("now", "hcp"), tested
/// before memcmp is called.
bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.data() == b.data() || a.empty()) return true;
  return a[0] == b[0] && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

void Activation::Bind(std::string_view name, Value value) {
  // Rebinding takes the new name's text too (BindCopy's copy, say).
  for (size_t i = 0; i < count_; ++i) {
    if (SameName(inline_[i].first, name)) {
      inline_[i] = {name, std::move(value)};
      return;
    }
  }
  for (auto& entry : more_) {
    if (SameName(entry.first, name)) {
      entry = {name, std::move(value)};
      return;
    }
  }
  qualified_ |= name.find('.') != std::string_view::npos;
  if (count_ < kInline) {
    inline_[count_].first = name;
    inline_[count_].second = std::move(value);
    ++count_;
  } else {
    more_.emplace_back(name, std::move(value));
  }
}

const Value* Activation::Find(std::string_view name) const {
  for (const Activation* a = this; a != nullptr; a = a->parent_) {
    for (size_t i = 0; i < a->count_; ++i)
      if (SameName(a->inline_[i].first, name)) return &a->inline_[i].second;
    for (const auto& [n, v] : a->more_)
      if (SameName(n, name)) return &v;
  }
  return nullptr;
}

using ast::Expr;
using ast::ExprKind;

std::optional<std::string> QualifiedName(const Expr& e) {
  if (e.kind == ExprKind::kIdent) return e.name.text;
  if (e.kind == ExprKind::kSelect && e.target) {
    auto prefix = QualifiedName(*e.target);
    if (prefix) return *prefix + "." + e.name.text;
  }
  return std::nullopt;
}

Value LiteralValue(const ast::Literal& literal) {
  return std::visit(
      [](const auto& lit) -> Value {
        using T = std::decay_t<decltype(lit)>;
        if constexpr (std::is_same_v<T, ast::NullValue>) return Value();
        else if constexpr (std::is_same_v<T, ast::Bytes>) return Value(Bytes{lit.data});
        else if constexpr (std::is_same_v<T, ast::Duration>)
          return CheckedDuration(static_cast<__int128>(lit.millis) * 1000000);
        else return Value(lit);
      },
      literal);
}

std::optional<Value> TypeDenotation(std::string_view name) {
  static const char* const kNames[] = {"int",  "uint", "double",    "bool", "string",
                                       "bytes", "list", "map", "null_type", "type"};
  for (const char* n : kNames)
    if (name == n) return Value::Type(n);
  if (name == "google.protobuf.Timestamp" || name == "google.protobuf.Duration")
    return Value::Type(std::string(name));
  return std::nullopt;
}

namespace {

class Interpreter {
 public:
  explicit Interpreter(const Functions& functions) : functions_(functions) {}

  Value Eval(const Expr& e, const Activation& act) {
    switch (e.kind) {
      case ExprKind::kLiteral: return LiteralValue(e.literal);
      case ExprKind::kIdent: return Ident(e, act);
      case ExprKind::kSelect: return Select(e, act);
      case ExprKind::kHas: {
        const Expr& sel = *e.args[0];
        return HasField(Eval(*sel.target, act), sel.name.text);
      }
      case ExprKind::kCall: return Call(e, act);
      case ExprKind::kMacro: return Macro(e, act);
      case ExprKind::kIndex: return Index(Eval(*e.target, act), Eval(*e.args[0], act));
      case ExprKind::kList: {
        List out;
        out.reserve(e.args.size());
        for (const auto& a : e.args) {
          Value v = Eval(*a, act);
          if (v.IsError()) return v;
          out.push_back(std::move(v));
        }
        return Value(std::move(out));
      }
      case ExprKind::kMap: {
        std::vector<std::pair<Value, Value>> entries;
        entries.reserve(e.args.size() / 2);
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          Value k = Eval(*e.args[i], act);
          if (k.IsError()) return k;
          Value v = Eval(*e.args[i + 1], act);
          if (v.IsError()) return v;
          entries.emplace_back(std::move(k), std::move(v));
        }
        return MakeMap(std::move(entries));
      }
      case ExprKind::kUnary: {
        Value v = Eval(*e.target, act);
        return e.op == ast::Op::kNot ? Not(v) : Negate(v);
      }
      case ExprKind::kBinary: return Binary(e, act);
      case ExprKind::kConditional: {
        Value c = Eval(*e.args[0], act);
        if (c.IsError()) return c;
        if (!c.is(ValueKind::kBool)) return NoOverload("?:", c);
        return Eval(*e.args[c.AsBool() ? 1 : 2], act);
      }
    }
    return Value::Error("unknown expression kind");
  }

 private:
  Value Ident(const Expr& e, const Activation& act) {
    if (const Value* v = act.Find(e.name.text)) return *v;
    if (auto t = TypeDenotation(e.name.text)) return *t;
    return Value::Error("undeclared reference to '" + e.name.text + "'");
  }

  /// `a.b.c`: the longest bound prefix of a qualified name wins; otherwise
  /// field selection on the target's value.
  Value Select(const Expr& e, const Activation& act) {
    // `x.f` with `x` bound and no qualified name bound anywhere: nothing
    // longer can match, so select the field directly.
    if (e.target->kind == ExprKind::kIdent && !act.HasQualifiedNames()) {
      if (const Value* v = act.Find(e.target->name.text)) return SelectField(*v, e.name.text);
    }
    if (auto name = QualifiedName(e)) {
      if (const Value* v = act.Find(*name)) return *v;
      if (auto t = TypeDenotation(*name)) return *t;
    }
    return SelectField(Eval(*e.target, act), e.name.text);
  }

  Value Binary(const Expr& e, const Activation& act) {
    if (e.op == ast::Op::kAnd || e.op == ast::Op::kOr) {
      // Commutative error absorption: the deciding value wins over an error
      // on either side.
      bool decisive = e.op == ast::Op::kOr;
      Value a = Eval(*e.args[0], act);
      if (a.is(ValueKind::kBool) && a.AsBool() == decisive) return a;
      Value b = Eval(*e.args[1], act);
      if (b.is(ValueKind::kBool) && b.AsBool() == decisive) return b;
      if (a.is(ValueKind::kBool) && b.is(ValueKind::kBool)) return Value(!decisive);
      if (a.IsError()) return a;
      if (b.IsError()) return b;
      return NoOverload(ast::OpSpelling(e.op), a, b);
    }
    Value a = Eval(*e.args[0], act);
    Value b = Eval(*e.args[1], act);
    return ApplyBinary(e.op, a, b);
  }

  Value Call(const Expr& e, const Activation& act) {
    std::vector<Value> args;
    args.reserve(e.args.size() + 1);
    bool receiver = e.target != nullptr;
    if (receiver) {
      // `a.b.f()` where `a.b.f` names nothing: a namespaced global function
      // is not supported, so evaluate the receiver.
      args.push_back(Eval(*e.target, act));
    }
    for (const auto& a : e.args) args.push_back(Eval(*a, act));
    return functions_.Call(e.name.text, receiver, args);
  }

  /// target.all(x, p), exists, exists_one, map(x, t), map(x, p, t), filter(x, p)
  Value Macro(const Expr& e, const Activation& act) {
    Value range = Eval(*e.target, act);
    if (range.IsError()) return range;
    std::vector<Value> keys;
    const List* items = nullptr;
    if (range.is(ValueKind::kList)) {
      items = &range.AsList();
    } else if (range.is(ValueKind::kMap)) {
      for (const auto& [k, v] : range.AsMap().entries()) keys.push_back(k);
      items = &keys;
    } else {
      return NoOverload(e.name.text, range);
    }
    Activation scope(&act);
    const std::string& name = e.name.text;
    const Expr& first = *e.args[0];
    if (name == "all" || name == "exists") {
      bool decisive = name == "exists";
      std::optional<Value> error;
      for (const Value& item : *items) {
        scope.Bind(e.var.text, item);
        Value r = Eval(first, scope);
        if (r.is(ValueKind::kBool)) {
          if (r.AsBool() == decisive) return r;
        } else if (!error) {
          error = r.IsError() ? r : NoOverload(name, r);
        }
      }
      if (error) return *error;
      return Value(!decisive);
    }
    if (name == "exists_one") {
      int64_t count = 0;
      for (const Value& item : *items) {
        scope.Bind(e.var.text, item);
        Value r = Eval(first, scope);
        if (r.IsError()) return r;
        if (!r.is(ValueKind::kBool)) return NoOverload(name, r);
        if (r.AsBool()) ++count;
      }
      return Value(count == 1);
    }
    if (name == "filter") {
      List out;
      for (const Value& item : *items) {
        scope.Bind(e.var.text, item);
        Value r = Eval(first, scope);
        if (r.IsError()) return r;
        if (!r.is(ValueKind::kBool)) return NoOverload(name, r);
        if (r.AsBool()) out.push_back(item);
      }
      return Value(std::move(out));
    }
    // map
    List out;
    for (const Value& item : *items) {
      scope.Bind(e.var.text, item);
      if (e.args.size() == 2) {
        Value keep = Eval(first, scope);
        if (keep.IsError()) return keep;
        if (!keep.is(ValueKind::kBool)) return NoOverload(name, keep);
        if (!keep.AsBool()) continue;
      }
      Value r = Eval(*e.args.back(), scope);
      if (r.IsError()) return r;
      out.push_back(std::move(r));
    }
    return Value(std::move(out));
  }

  const Functions& functions_;
};

}  // namespace

Value Evaluate(const ast::Expr& expr, const Activation& activation, const Functions& functions) {
  return Interpreter(functions).Eval(expr, activation);
}

}  // namespace tutti::compiler::eval
