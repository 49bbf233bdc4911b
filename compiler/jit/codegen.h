#pragma once
// Expressions to LLVM IR. A group of expressions (a journey's, say)
// becomes one function
//
//   int32_t NAME(int32_t which, const Value* const* vars, const void* const* pool, Value* out)
//
// computing or testing expression `which / 2` (GroupFunction). `vars[i]` is the value of the i-th name of the expression's environment
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
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "compiler/ast/expr.h"
#include "compiler/eval/functions.h"
#include "compiler/jit/abi.h"

namespace llvm {
class AllocaInst;
class BasicBlock;
class Function;
class Module;
class Value;
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
  /// An object owned elsewhere that outlives the pool (a record shape).
  size_t AddPointer(const void* p);
  const std::vector<const void*>& entries() const { return entries_; }

 private:
  std::deque<Value> values_;
  std::deque<std::string> strings_;
  std::deque<CallSite> sites_;
  std::vector<const void*> entries_;
};

/// The signature of compiled code: a group of expressions in one function.
/// `which` = 2k computes expression k's value into `*out` (returning 0);
/// `which` = 2k+1 tests it as a condition: returns a Truth code, and
/// writes `*out` only when the result is not a bool (an error, or a value
/// of another kind).
using GroupFunction = int32_t (*)(int32_t which, const Value* const* vars, const void* const* pool, Value* out);

/// One expression to compile and the names bound when it runs.
struct ExprSpec {
  const ast::Expr* expr = nullptr;
  /// The names bound when it runs, in `vars` order; a qualified name
  /// ("a.b") is matched as the interpreter matches it.
  std::vector<std::string> env;
  /// Optional, parallel to `env`: the layout records bound to the name are
  /// expected to have (null: unknown). `x.f` on such a name reads the slot
  /// directly when the record has that shape, and by name otherwise, so a
  /// wrong expectation costs speed, never correctness.
  std::vector<const eval::RecordShape*> shapes;
  /// Expressions of one group compile into one function (the JIT groups
  /// them per journey).
  size_t group = 0;
  /// Only ever tested as a condition: the value case is not compiled
  /// (CompiledExprs::Run derives the value from the test).
  bool condition = false;
};

/// Emits `fn_name`, a GroupFunction for `specs`, into `module`, adding
/// constants to `pool`.
void EmitGroup(llvm::Module& module, const std::string& fn_name, const std::vector<const ExprSpec*>& specs,
               const eval::Functions& functions, ConstantPool& pool);

class Emitter;

/// Conditions tested inside another generated function (a trigger
/// dispatch) rather than by a call into their group: no call, no
/// environment array, and the parts of a condition already known to be
/// true where it is tested (`e.brand == "GLIDIM"` in the brand's bucket)
/// are not tested again. Taking a known-true part as `true` is exact: it
/// is what that part evaluates to there, and nothing else changes.
///
/// An inline test covers the common case only: fields of the expected
/// layout, comparisons of the literal's kind, bools. Anything else (an
/// error, a null, a value that is not a bool) jumps to a bail block, where
/// the caller tests the whole condition by the general code, which gives
/// the exact answer; so the inline code stays small.
///
/// The tests share one area of value slots in `fn`'s frame, `slots()`:
/// the caller constructs its first `slots_used()` values (tutti_jit_init)
/// before the first test runs and destroys them (tutti_jit_destroy) after
/// the last; between tests, slots are only ever assigned to.
class InlineConditions {
 public:
  /// For tests in `fn`, whose `vars` and `pool` are as a GroupFunction's.
  /// `slots`: where the tests' values live, constructed by the caller
  /// and at least as many as slots_used() says once every test is
  /// emitted; null: an array of `fn`'s own, sized as the tests need (and
  /// constructed by the caller too).
  InlineConditions(llvm::Function& fn, llvm::Value* vars, llvm::Value* pool, const eval::Functions& functions,
                   ConstantPool& constants, llvm::Value* slots = nullptr);
  ~InlineConditions();

  /// Tests `spec.expr` (its names bound by `vars`, as `spec.env` says) at
  /// the end of block `at`, with every node of `known` taken as true; `at`
  /// becomes the block where the test ends, and the code returned is kTrue
  /// or kFalse there. Every other case jumps to `bail`.
  llvm::Value* Emit(llvm::BasicBlock*& at, const ExprSpec& spec, const std::set<const ast::Expr*>& known,
                    llvm::BasicBlock* bail);

  llvm::Value* slots() const { return slots_; }
  uint64_t slots_used() const { return slots_used_; }
  /// Makes an array of `fn`'s own hold at least `n` slots.
  void Reserve(uint64_t n);

 private:
  llvm::Function& fn_;
  llvm::Value* vars_;
  llvm::Value* pool_;
  llvm::Value* slots_ = nullptr;
  llvm::AllocaInst* own_ = nullptr;  // slots_, when they are fn's own
  uint64_t slots_used_ = 0;
  std::unique_ptr<Emitter> emitter_;
};

/// The free names of `expr` (identifiers not bound by one of its macros),
/// sorted, without duplicates: the environment to compile it with when
/// every name it uses may be bound at run time.
std::vector<std::string> FreeNames(const ast::Expr& expr);

}  // namespace tutti::compiler::jit
