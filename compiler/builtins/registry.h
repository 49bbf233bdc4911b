#pragma once
// The one registration API for built-in functions. An engineer adds a
// built-in by declaring its signature and documentation here (from a family
// file in stdlib/); the checker types calls against it, and the interpreter
// and JIT look implementations up by the overload id.
//
//   registry.Add("string.startsWith(string) -> bool", "Whether ...");
//   registry.Add("engagement(profile, string) -> double", "...");
//
// Signature syntax: `[RECEIVER.]name(T, ...) -> T`, where T is one of int,
// uint, double, bool, string, bytes, null, timestamp, duration, dyn, type,
// profile (any profile record), list<T>, map<K, V>, or a single capital
// letter for a type parameter (A, B, ...).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/types/type.h"

namespace tutti::compiler {

/// The names a string parameter stands for (`interactions(hcp,
/// "email_opened", 90d)` names an event or a channel): a literal outside
/// them is a typo that makes the call count or score nothing, which the
/// checker warns about.
struct NamedArgument {
  size_t param = 0;  // index in Overload::params
  bool events = false;  // an event declared in the program
  bool channels = false;  // a channel declared in the program
  std::vector<std::string> also;  // names the function itself knows
  std::string what;  // "an event or a channel", for messages
};

struct Overload {
  /// Unique and stable, e.g. "string.startsWith(string)"; the interpreter
  /// and JIT key implementations by it.
  std::string id;
  std::string name;
  bool receiver_style = false;
  std::vector<Type> params;  // receiver first when receiver_style
  Type result;
  std::string doc;
  std::string family;  // the stdlib file that registered it, e.g. "strings"
  std::vector<NamedArgument> named;
};

class BuiltinRegistry {
 public:
  /// Declares one overload. Returns an empty string, or why the signature
  /// does not parse or clashes with an earlier one (a bug in the caller).
  std::string Add(std::string_view signature, std::string_view doc, std::string_view family = {});

  /// Says what a string parameter of the overload `id` names. Returns an
  /// empty string, or why not (a bug in the caller).
  std::string Name(std::string_view id, NamedArgument argument);

  /// All overloads of `name` in the given call style.
  std::vector<const Overload*> Find(std::string_view name, bool receiver_style) const;
  /// Whether any overload of `name` exists in either style.
  bool Has(std::string_view name) const;
  /// Every function name, sorted (for "did you mean" and docs).
  std::vector<std::string> Names() const;
  const std::vector<Overload>& overloads() const { return overloads_; }

 private:
  std::vector<Overload> overloads_;
};

/// Parses a type as written in a signature or schema (`list<string>`).
/// Returns false on an unknown type name.
bool ParseSignatureType(std::string_view text, Type* out);

}  // namespace tutti::compiler
