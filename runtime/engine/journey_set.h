#pragma once
// A set of journeys ready to run: loaded, checked and lowered, with
// everything an Engine needs beside it (the program that owns the AST the
// IR borrows, the record layouts, the built-ins joined with the stdlib's
// implementations). Built once, off the event path, and immutable after;
// `tutti simulate`, the tests, the fuzzers and the benchmarks all start
// from one, and the daemon's hot reload will build the next one while the
// current one runs.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "compiler/builtins/registry.h"
#include "compiler/check/program.h"
#include "compiler/eval/functions.h"
#include "compiler/ir/journey_ir.h"
#include "runtime/engine/engine.h"
#include "runtime/engine/native_code.h"
#include "runtime/records/schema_table.h"

namespace tutti::runtime {

class JourneySet {
 public:
  /// Loads `paths` (files, or folders searched for *.tutti) and what they
  /// import, checks and lowers them. Null when they do not check: the
  /// diagnostics are in `sink`.
  static std::unique_ptr<JourneySet> Load(const std::vector<std::string>& paths, const std::string& stdlib_dir,
                                          compiler::DiagnosticSink& sink);
  /// The same from in-memory sources (name, text).
  static std::unique_ptr<JourneySet> FromText(const std::vector<std::pair<std::string, std::string>>& files,
                                              const std::string& stdlib_dir, compiler::DiagnosticSink& sink);

  const compiler::Program& program() const { return program_; }
  const compiler::ir::Program& ir() const { return ir_; }
  const SchemaTable& schemas() const { return schemas_; }
  const compiler::eval::Functions& functions() const { return *functions_; }

  /// A stable fingerprint (16 hex digits) of the source text of every file
  /// of the set, stdlib included: equal sets of journeys, equal
  /// fingerprints, wherever the files live.
  std::string Fingerprint() const;

  /// The set's own files as (path as shown, text), the content files its
  /// templates read included and the stdlib's left out:
  /// what FromText needs to build the same set again beside the same
  /// stdlib (the daemon logs them with every version it runs).
  std::vector<std::pair<std::string, std::string>> Sources() const;

  /// Compiles every expression of the journeys to native code (compiler/jit),
  /// which its engines run instead of the interpreter; a failure says why
  /// LLVM could not (what it compiled before runs natively, the rest is
  /// interpreted). At most once per set.
  Status Compile(const compiler::jit::JitOptions& options = {});
  /// The same on a thread of its own (native_code.h): engines start on the
  /// interpreter and take each journey's native code up when it is ready; `done`
  /// hears, on that thread, how it went. A set dropped meanwhile stops it.
  void CompileInBackground(const compiler::jit::JitOptions& options, NativeCode::Done done = {});
  /// The native code: what engines and reloads are given.
  const NativeCode* native() const { return &native_; }
  /// The native code once laid out (complete() once every journey's is
  /// compiled), else null.
  const compiler::jit::CompiledExprs* compiled() const { return native_.ready(); }
  /// Blocks until a background compile has ended.
  void WaitForNativeCode() { native_.Wait(); }

  /// A fresh engine over this set, which must outlive it; it runs the
  /// native code when the set is compiled, from when it is.
  std::unique_ptr<Engine> NewEngine(EngineOptions options = {}) const;

 private:
  JourneySet();
  /// What compiling the set to native code takes.
  NativeCode::Job CompileJob(compiler::jit::JitOptions options) const;
  /// The expressions and triggers to compile, from the IR.
  void NativeSpecs(std::vector<compiler::jit::ExprSpec>* specs, std::vector<compiler::jit::TriggerSpec>* triggers) const;
  /// Checks and lowers `program_`; false when it has errors.
  bool Build(compiler::DiagnosticSink& sink);
  /// Hands the program to `sink` (its diagnostics point into it); null.
  std::unique_ptr<JourneySet> Failed(compiler::DiagnosticSink& sink);

  compiler::BuiltinRegistry builtins_;
  compiler::eval::FunctionTable table_;
  compiler::Program program_;
  compiler::ir::Program ir_;
  SchemaTable schemas_;
  std::unique_ptr<compiler::eval::Functions> functions_;
  NativeCode native_;  // last: a compile under way reads the members above
};

// VersionId (a journey version's identity) is declared in engine.h.

}  // namespace tutti::runtime
