#pragma once
// A journey set's native code (compiler/jit), which may arrive after its
// engines have started. Compiling a thousand journeys takes LLVM seconds;
// checking and lowering them takes a tenth of one. So a set can start on
// the interpreter and have its code compiled on a thread of its own: the
// code is published here once, whole, and every engine over the set takes
// it up at its next evaluation. The interpreter and the native code decide
// alike (the differential tests hold them to it), so when the switch
// happens changes no decision, only how fast they are made.
//
// At most one background compile runs in the process at a time (a daemon
// replaying several versions compiles them one after another, beside its
// apply thread rather than on top of it).

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "base/status.h"
#include "compiler/jit/jit.h"

namespace tutti::runtime {

class NativeCode {
 public:
  NativeCode() = default;
  NativeCode(const NativeCode&) = delete;
  NativeCode& operator=(const NativeCode&) = delete;
  /// Stops a compile under way (between two of its modules) and waits for
  /// its thread.
  ~NativeCode();

  /// The code, once compiled; null before, and for good when the compile
  /// failed or was stopped. Safe from any thread.
  const compiler::jit::CompiledExprs* ready() const { return ready_.load(std::memory_order_acquire); }

  /// How a compile ended: its status, and its seconds from start (waiting
  /// for another set's compile included).
  using Done = std::function<void(const Status& status, double seconds)>;
  /// A compile to run: it is handed the flag that asks it to stop.
  using Job = std::function<Result<std::unique_ptr<compiler::jit::CompiledExprs>>(const std::atomic<bool>& stop)>;

  /// Runs `job` here and publishes its code. Only once per NativeCode.
  Status Compile(const Job& job);
  /// Runs `job` on a thread of its own (after any other set's background
  /// compile), publishes its code when it succeeds, then calls `done` on
  /// that thread. Only once per NativeCode.
  void CompileInBackground(Job job, Done done);

  /// Blocks until a background compile has ended (tests and benchmarks).
  void Wait();

 private:
  void Publish(std::unique_ptr<compiler::jit::CompiledExprs> code);

  std::unique_ptr<compiler::jit::CompiledExprs> code_;
  std::atomic<const compiler::jit::CompiledExprs*> ready_{nullptr};
  std::atomic<bool> stop_{false};
  std::thread thread_;
  bool started_ = false;
};

}  // namespace tutti::runtime
