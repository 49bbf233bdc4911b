#pragma once
// The checker's types: CEL's value types, our schema records, and type
// parameters for built-in signatures. A Type is a small value.

#include <string>
#include <vector>

namespace tutti::compiler {

enum class TypeKind {
  kError,       // already reported; absorbs further errors silently
  kDyn,         // unknown until run time; compatible with everything
  kNull, kBool, kInt, kUint, kDouble, kString, kBytes, kTimestamp, kDuration,
  kList,        // params[0] is the element type; `set<T>` is a list
  kMap,         // params[0] key, params[1] value
  kProfile,     // a profile record; name is the profile
  kEvent,       // an event record; name is the event
  kAnyProfile,  // in built-in signatures: any profile record
  kParam,       // in built-in signatures: a type parameter named `name`
  kType,        // the type of type denotations such as `int`
};

class Type {
 public:
  Type() = default;
  explicit Type(TypeKind kind, std::string name = {}, std::vector<Type> params = {})
      : kind_(kind), name_(std::move(name)), params_(std::move(params)) {}

  static Type Error() { return Type(TypeKind::kError); }
  static Type Dyn() { return Type(TypeKind::kDyn); }
  static Type Null() { return Type(TypeKind::kNull); }
  static Type Bool() { return Type(TypeKind::kBool); }
  static Type Int() { return Type(TypeKind::kInt); }
  static Type Uint() { return Type(TypeKind::kUint); }
  static Type Double() { return Type(TypeKind::kDouble); }
  static Type String() { return Type(TypeKind::kString); }
  static Type Bytes() { return Type(TypeKind::kBytes); }
  static Type Timestamp() { return Type(TypeKind::kTimestamp); }
  static Type Duration() { return Type(TypeKind::kDuration); }
  static Type TypeOfTypes() { return Type(TypeKind::kType); }
  static Type List(Type elem, bool is_set = false);
  static Type Map(Type key, Type value);
  static Type Profile(std::string name) { return Type(TypeKind::kProfile, std::move(name)); }
  static Type Event(std::string name) { return Type(TypeKind::kEvent, std::move(name)); }
  static Type Param(std::string name) { return Type(TypeKind::kParam, std::move(name)); }

  TypeKind kind() const { return kind_; }
  const std::string& name() const { return name_; }
  const std::vector<Type>& params() const { return params_; }
  const Type& elem() const { return params_[0]; }
  const Type& key() const { return params_[0]; }
  const Type& value() const { return params_[1]; }

  bool is(TypeKind k) const { return kind_ == k; }
  bool IsErrorOrDyn() const { return kind_ == TypeKind::kError || kind_ == TypeKind::kDyn; }
  bool IsNumeric() const {
    return kind_ == TypeKind::kInt || kind_ == TypeKind::kUint || kind_ == TypeKind::kDouble;
  }
  bool IsRecord() const { return kind_ == TypeKind::kProfile || kind_ == TypeKind::kEvent; }

  /// As a user would write it: `list<string>`, `profile hcp`, `int`.
  std::string ToString() const;

  friend bool operator==(const Type& a, const Type& b) {
    return a.kind_ == b.kind_ && a.name_ == b.name_ && a.params_ == b.params_;
  }

 private:
  TypeKind kind_ = TypeKind::kDyn;
  std::string name_;  // record name, type parameter, or "set" for sets
  std::vector<Type> params_;
};

/// Whether a value of type `actual` may be used where `expected` is wanted.
/// Dyn and error are compatible with everything; null with records, lists,
/// maps and optional fields; type parameters are bound in `bindings`.
bool Assignable(const Type& expected, const Type& actual,
                std::vector<std::pair<std::string, Type>>* bindings = nullptr);

/// `expected` with its bound type parameters replaced.
Type Substitute(const Type& t, const std::vector<std::pair<std::string, Type>>& bindings);

/// The common type of two branches (`c ? a : b`, list elements), or dyn.
Type Join(const Type& a, const Type& b);

}  // namespace tutti::compiler
