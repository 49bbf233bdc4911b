#pragma once
// The implementation table: native C++ functions keyed by the overload ids
// of the built-in registry ("string.startsWith(string)", "size(list<A>)").
// The interpreter calls through it; the JIT maps the same ids to the same
// functions, so both engines share one implementation of every built-in.

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/builtins/registry.h"
#include "compiler/eval/value.h"

namespace tutti::compiler::eval {

/// A built-in's implementation. `args` holds the receiver first for
/// receiver-style calls; no argument is an error value (the caller has
/// already propagated errors). Returns a value or an error value; never
/// throws.
using NativeFunction = Value (*)(std::span<const Value> args);

class FunctionTable {
 public:
  /// Registers the implementation of overload `id`. Returns false if the id
  /// already has one (a bug in the caller).
  bool Add(std::string id, NativeFunction fn);
  /// The implementation of `id`, or null.
  NativeFunction Find(std::string_view id) const;
  const std::map<std::string, NativeFunction, std::less<>>& entries() const { return table_; }

 private:
  std::map<std::string, NativeFunction, std::less<>> table_;
};

/// Whether a run-time value fits a parameter type of a built-in signature
/// (dyn and type parameters fit everything; containers are checked by kind).
bool ValueFits(const Type& type, const Value& value);

/// The registry's overloads joined with their implementations, indexed by
/// function name and call style for dispatch at run time.
class Functions {
 public:
  Functions(const BuiltinRegistry& registry, const FunctionTable& table);

  struct Candidate {
    const Overload* overload;
    NativeFunction fn;  // null when the overload has no implementation
  };
  /// The overloads of `name` in the given style, in registration order.
  const std::vector<Candidate>* Find(std::string_view name, bool receiver_style) const;
  /// Calls `name` (receiver first in `args` when `receiver_style`): the
  /// first overload, in registration order, whose parameters fit the
  /// arguments' run-time kinds. An error argument is the result (the first
  /// one); so is an unknown function or no fitting overload. The
  /// interpreter and the JIT both call through here.
  Value Call(std::string_view name, bool receiver_style, std::span<const Value> args) const;
  /// The same with the candidates already found (null: unknown function).
  static Value Call(const std::vector<Candidate>* candidates, std::string_view name,
                    std::span<const Value> args);

  /// Ids of declared overloads with no implementation (for a startup check).
  std::vector<std::string> Unimplemented() const;

 private:
  std::map<std::pair<std::string, bool>, std::vector<Candidate>, std::less<>> by_name_;
};

}  // namespace tutti::compiler::eval
