#pragma once
// Expressions to LLVM IR. Each expression becomes one function
//
//   void NAME(const Value* const* vars, const void* const* pool, Value* out)
//
// `vars[i]` is the value of the i-th name of the expression's environment
// (the names bound when it runs); `pool` holds what the code refers to by
// index (literal values, field names, call sites), so the emitted code
// holds no address of this process and can be cached on disk; `*out`
// receives the result, an error value included. Control flow (`&&`, `||`,
// `?:`, the macros' loops) is native; each operation on values calls a
// helper of abi.h. Name resolution happens here, once: a name is a
// variable, a macro's iteration variable, a type, or an "undeclared
// reference" error, exactly as the interpreter would resolve it against an
// activation binding the environment's names.

#include <deque>
#include <string>
#include <vector>

#include "compiler/ast/expr.h"
#include "compiler/eval/functions.h"
#include "compiler/jit/abi.h"

namespace llvm {
class Module;
}

namespace tutti::compiler::jit {

/// What generated code refers to by pool index. Stable addresses; the
/// order of `entries` depends only on the expressions compiled, so a cached
/// object file finds the same index for the same constant.
class ConstantPool {
 public:
  size_t AddValue(Value v);
  size_t AddString(std::string s);
  size_t AddCallSite(CallSite site);
  const std::vector<const void*>& entries() const { return entries_; }

 private:
  std::deque<Value> values_;
  std::deque<std::string> strings_;
  std::deque<CallSite> sites_;
  std::vector<const void*> entries_;
};

/// The signature of every compiled expression.
using ExprFunction = void (*)(const Value* const* vars, const void* const* pool, Value* out);

/// Emits `fn_name` for `expr` into `module`, adding its constants to `pool`.
/// `env` lists the names bound when it runs, in `vars` order; a qualified
/// name ("a.b") is matched as the interpreter matches it.
void EmitExpression(llvm::Module& module, const std::string& fn_name, const ast::Expr& expr,
                    const std::vector<std::string>& env, const eval::Functions& functions,
                    ConstantPool& pool);

/// The free names of `expr` (identifiers not bound by one of its macros),
/// sorted, without duplicates: the environment to compile it with when
/// every name it uses may be bound at run time.
std::vector<std::string> FreeNames(const ast::Expr& expr);

}  // namespace tutti::compiler::jit
