#pragma once
// The JIT: compiles a set of expressions to native code with LLVM 16's ORC
// LLJIT and runs them. One CompiledExprs is one LLJIT instance holding a
// module per group of expressions (a journey) and one for the trigger
// dispatch; it owns the code and the constants the code refers to, and is
// safe to run from many threads. It can be handed out before its modules
// are compiled (Compile's `early`): each journey's code is then taken up
// as it is ready, and what is not ready yet reads as not compiled.
//
// Object code can be cached on disk, per module: the key is a hash of the
// module's IR, the compiler version and the host CPU, so unchanged
// journeys on an unchanged binary load without compiling, even when
// others changed. A cache that cannot be read or
// written is skipped, never fatal.

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string_view>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "base/pointer_map.h"
#include "base/status.h"
#include "compiler/ast/expr.h"
#include "compiler/eval/evaluator.h"
#include "compiler/eval/functions.h"
#include "compiler/jit/codegen.h"
#include "compiler/jit/dispatch.h"

namespace llvm::orc {
class LLJIT;
}

namespace tutti::compiler::jit {

struct JitOptions {
  /// Where compiled objects are cached; empty: no disk cache.
  std::string cache_dir;
  /// 2: LLVM's O2 pipeline and instruction selection (the default: the
  /// fastest code); 1: O1; 0: no IR passes and fast instruction selection
  /// (compiles about 6x faster, runs about half as fast).
  int opt_level = 2;
  /// When set and it turns true, the compile stops between two modules
  /// with a kUnavailable status (a set dropped while compiling in the
  /// background, runtime/engine/native_code.h).
  const std::atomic<bool>* stop = nullptr;
  /// Called on the compiling thread each time a module's code is ready
  /// (its journey's expressions, then the dispatch), with how many are of
  /// how many.
  std::function<void(size_t done, size_t modules)> progress;
  /// Tells perf where each compiled function is (LLVM's perf JIT
  /// listener: a jitdump file under $JITDUMPDIR, or ~/.debug/jit, for
  /// `perf record -k 1` then `perf inject --jit`), so that profiles name
  /// the generated code. For benchmarks; off in the daemon.
  bool perf = false;
};

/// How a compilation went, for logs and benchmarks.
struct CompileReport {
  size_t expressions = 0;
  size_t modules = 0;             // one per journey with expressions, and the dispatch
  size_t modules_from_cache = 0;  // loaded from the disk cache, not compiled
  bool from_cache = false;        // every module was
  DispatchCode dispatch;          // every event type's, summed
};

class CompiledExprs {
 public:
  ~CompiledExprs();

  /// Takes the code before its modules are compiled (see Compile).
  using Early = std::function<void(std::unique_ptr<CompiledExprs>)>;

  /// Compiles `specs` (null expressions and duplicates are skipped) and a
  /// dispatch function per event type of `triggers`, whose conditions
  /// must be among `specs`. A failure of LLVM itself (no native target,
  /// say) is a kInternal Status.
  ///
  /// With `early`, the code is handed to it once laid out, before LLVM
  /// compiles any module, and then filled in on this thread one module (a
  /// journey) at a time, the dispatch last; the result is then null, or
  /// the status of a compile that stopped or failed part way (the code
  /// handed out keeps what was compiled, and is never complete()). The
  /// taker must keep the code alive until this call returns: it is
  /// written to until then.
  static Result<std::unique_ptr<CompiledExprs>> Compile(const std::vector<ExprSpec>& specs,
                                                        const eval::Functions& functions,
                                                        const JitOptions& options = {},
                                                        const std::vector<TriggerSpec>& triggers = {},
                                                        const Early& early = nullptr);

  /// Whether every module is compiled (report() is final then).
  bool complete() const { return complete_.load(std::memory_order_acquire); }

  /// An expression's compiled form. Kept in the lookup table's slot with
  /// the expression's address, so that finding it reads one line: a
  /// handful of words, its names kept apart (CompiledExprs::Names).
  struct Entry {
    const void* const* pool = nullptr;  // its group's constants
    const std::string* env = nullptr;   // env_size names, in `vars` order
    /// What each name of `env` reads as when the activation lacks it: the
    /// type it denotes, or an "undeclared reference" error.
    const Value* unbound = nullptr;
    uint32_t env_size = 0;
    uint32_t group = 0;  // its function's place in fns_, one per group (journey)
    int32_t index = 0;   // within the group
    bool test_only = false;  // a condition: compiled as a test alone
  };
  /// The compiled form of `expr`, or null if it was not compiled or its
  /// journey's module is not compiled yet.
  const Entry* Find(const ast::Expr* expr) const;

  /// Runs `entry` with its names read from `activation`.
  Value Run(const Entry& entry, const eval::Activation& activation) const;
  /// Tests `entry` as a condition: a Truth code; `*out` holds the value
  /// when it is not a bool.
  int32_t Test(const Entry& entry, const eval::Activation& activation, Value* out) const;
  int32_t Test(const Entry& entry, const Value* const* vars, Value* out) const {
    return Fn(entry)(2 * entry.index + 1, vars, entry.pool, out);
  }
  /// Runs `entry` with `vars` in its environment's order.
  Value Run(const Entry& entry, const Value* const* vars) const {
    Value out;
    if (!entry.test_only) {
      Fn(entry)(2 * entry.index, vars, entry.pool, &out);
      return out;
    }
    int32_t code = Test(entry, vars, &out);
    return code == kTrue ? Value(true) : code == kFalse ? Value(false) : out;
  }

  /// Tests the triggers listening to `event_type` against `event` at
  /// `now`; appends the hits to `hits`, sorted by journey. False (and no
  /// hits) when no trigger listens to that type, or its dispatch is not
  /// compiled yet.
  bool Dispatch(std::string_view event_type, const Value& event, const Value& now,
                TriggerHits* hits) const;
  /// The dispatch plan of each event type (for tests and benchmarks).
  const std::vector<DispatchPlan>& plans() const { return plans_; }

  const CompileReport& report() const { return report_; }

 private:
  CompiledExprs();

  /// `entry`'s function (Find gave only entries whose function is set).
  GroupFunction Fn(const Entry& entry) const { return fns_[entry.group].load(std::memory_order_acquire); }

  // Laid out before the code is handed out (Compile's `early`), and never
  // changed after but for the functions, stored once each as their
  // modules are compiled.
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  std::deque<ConstantPool> pools_;  // one per module; stable addresses
  const ConstantPool* dispatch_pool_ = nullptr;
  PointerMap<ast::Expr, Entry> entries_;
  /// The names an entry reads and their unbound values (Entry::env and
  /// ::unbound point into them; a vector's elements stay put when the
  /// vector holding it moves).
  struct Names {
    std::vector<std::string> env;
    std::vector<Value> unbound;
  };
  std::vector<Names> names_;
  /// By Entry::group: a group's function, null until compiled. A few
  /// thousand at most, so the array stays in cache where one per
  /// expression did not.
  std::unique_ptr<std::atomic<GroupFunction>[]> fns_;
  std::vector<DispatchPlan> plans_;  // reserved up front: the pool points into them
  /// Each event type and its place in dispatch_fns_. A program declares a
  /// few dozen event types at most: comparing the name's length first, a
  /// scan finds one sooner than hashing it would.
  std::vector<std::pair<std::string, size_t>> dispatch_;
  std::unique_ptr<std::atomic<DispatchFunction>[]> dispatch_fns_;  // null until compiled
  std::atomic<bool> complete_{false};
  CompileReport report_;  // final once complete
};

/// The version of the code generator; part of every cache key, so a binary
/// whose codegen changed never loads an older object.
inline constexpr const char* kCodegenVersion = "tutti-jit-1";

}  // namespace tutti::compiler::jit
