#pragma once
// A journey set's native code (compiler/jit), which may arrive after its
// engines have started. Compiling a thousand journeys takes LLVM seconds;
// checking and lowering them takes a tenth of one. So a set can start on
// the interpreter and have its code compiled in the background: the code
// is published here once laid out, before LLVM compiles anything, and is
// filled in one journey at a time; every engine over the set takes each
// journey's code up at its next evaluation after it is ready, and the
// trigger dispatch once every journey's is. The interpreter and the native code decide alike
// (the differential tests hold them to it), so when the switch happens
// changes no decision, only how fast they are made.
//
// The process compiles in the background on one thread of its own, one
// set at a time, the newest first: a daemon replaying several versions at
// start compiles the one that takes new traffic before the retired ones,
// beside its apply thread rather than on top of it.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

#include "base/status.h"
#include "compiler/jit/jit.h"

namespace tutti::runtime {

class NativeCode {
 public:
  NativeCode() = default;
  NativeCode(const NativeCode&) = delete;
  NativeCode& operator=(const NativeCode&) = delete;
  /// A background compile not begun is dropped; one under way is stopped
  /// (between two of its modules) and waited for.
  ~NativeCode();

  /// The code, once laid out; null before, and for good when the compile
  /// failed or was stopped before. Its complete() says whether every
  /// journey's code is in (a compile that failed or stopped part way
  /// leaves what it compiled). Safe from any thread.
  const compiler::jit::CompiledExprs* ready() const { return ready_.load(std::memory_order_acquire); }
  /// Whether a background compile is queued or under way.
  bool pending() const { return pending_.load(std::memory_order_acquire); }

  /// How a compile ended: its status, and its seconds from when it was
  /// asked for (waiting for other sets' compiles included).
  using Done = std::function<void(const Status& status, double seconds)>;
  /// A compile to run: it is handed the flag that asks it to stop, and
  /// where to publish the code before it is compiled (CompiledExprs::
  /// Compile's `early`); a job that does not returns its code whole.
  using Job = std::function<Result<std::unique_ptr<compiler::jit::CompiledExprs>>(
      const std::atomic<bool>& stop, const compiler::jit::CompiledExprs::Early& early)>;

  /// Runs `job` here and publishes its code. Only once per NativeCode.
  Status Compile(const Job& job);
  /// Queues `job` for the background thread, which publishes its code once
  /// laid out, then calls `done` when it ends (on that thread; here, when the thread
  /// cannot be started, or on the destroying thread for a compile dropped
  /// before it began). Only once per NativeCode.
  void CompileInBackground(Job job, Done done);

  /// Blocks until a background compile has ended (tests and benchmarks).
  void Wait() const;

 private:
  struct Queue;
  static Queue& TheQueue();
  static void Work();
  /// Runs the queued job on the background thread.
  void Run();
  void Publish(std::unique_ptr<compiler::jit::CompiledExprs> code);
  /// Runs job_ (or `job`), publishing its code.
  Status RunJob(const Job& job);
  double SecondsSinceAsked() const;

  std::unique_ptr<compiler::jit::CompiledExprs> code_;
  std::atomic<const compiler::jit::CompiledExprs*> ready_{nullptr};
  std::atomic<bool> stop_{false};
  std::atomic<bool> pending_{false};
  bool started_ = false;
  Job job_;
  Done done_;
  std::chrono::steady_clock::time_point asked_;
};

}  // namespace tutti::runtime
