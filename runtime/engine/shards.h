#pragma once
// Several engines side by side, one per core, each on its own thread: the
// customers are split between them (partition.h), every input goes to each,
// and their actions are merged into one outbox in an order fixed by the
// inputs alone. The daemon runs one of these; with one shard it is exactly
// one engine, on the calling thread.
//
// The merged order: by the time each action was decided, then by shard,
// then in the order its shard made them. An action is merged once every
// shard's clock has moved past its time (no shard can make one that sorts
// before it any more); until then it waits in its shard's own outbox. The
// order depends on the inputs alone, never on the threads' timing or on
// how time was moved (in one step or in slices), so a replay of the log
// rebuilds the same outbox, sequence numbers included. On another number
// of shards: the same actions (and idempotency keys) in another order; on
// one shard, exactly one engine's outbox, every action merged at once.
//
// Not thread-safe: one caller at a time, as for an Engine.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "runtime/engine/engine.h"

namespace tutti::runtime {

class Shards {
 public:
  /// `count` engines, each made by `make` with its EngineOptions::shard
  /// and shards set.
  Shards(uint32_t count, const std::function<std::unique_ptr<Engine>(EngineOptions)>& make);
  ~Shards();
  Shards(const Shards&) = delete;
  Shards& operator=(const Shards&) = delete;

  uint32_t count() const { return static_cast<uint32_t>(engines_.size()); }
  /// One shard's engine, for inspection: its journeys, stats and store
  /// (which holds every profile, but only its own customers' instances and
  /// history).
  const Engine& shard(uint32_t i) const { return *engines_[i]; }
  /// The shard that owns the customer of `profile` keyed `key`.
  const Engine& owner(std::string_view profile, std::string_view key) const;

  /// One input: the clock moves to `at` (firing what fell due), then the
  /// profile or event, if any, is given to every shard.
  struct Input {
    Instant at = 0;
    const Record* record = nullptr;  // null: only the clock moves
  };
  /// Applies `inputs` in order, the shards in parallel.
  void Apply(const std::vector<Input>& inputs);
  void UpsertProfile(const Record& profile) { Apply({{now(), &profile}}); }
  /// Engine::AdvanceSome on every shard, each firing at most `max_wakeups`;
  /// true once all are at `t`.
  bool AdvanceSome(Instant t, size_t max_wakeups);
  void AdvanceTo(Instant t);
  std::optional<Instant> NextDue();
  Instant now() const { return engines_[0]->now(); }

  bool SetPaused(std::string_view journey, bool paused);
  /// Engine::ReloadRefusal, and on several shards also why the version
  /// must run on one (WhyOneShard).
  Status ReloadRefusal(const SchemaTable& schemas, const compiler::ir::Program& program) const;
  /// Engine::Reload on every shard; the report adds theirs up.
  Result<Engine::ReloadReport> Reload(const compiler::ir::Program& program, const SchemaTable& schemas,
                                      const compiler::eval::Functions& functions,
                                      const NativeCode* native);

  /// Every shard's state and the merged outbox; with one shard, exactly
  /// what its engine saves.
  std::string Save();
  /// Restores what Save wrote, on the same number of shards; a
  /// kCorruption when it is damaged, a kConflict when it does not fit.
  Status Restore(std::string_view snapshot);

  /// Every shard's decisions since the last call, shard after shard.
  std::vector<Decision> TakeDecisions();
  /// Every shard's event notes since the last call, shard after shard.
  std::vector<EventNote> TakeEventNotes();
  Outbox& outbox() { return outbox_; }
  const Outbox& outbox() const { return outbox_; }

  /// Runs fn(shard) for every shard at once, each on its shard's thread
  /// (shard 0 on this one), and returns when all are done: for work that
  /// splits over the cores as the shards do (decoding a batch of inputs).
  void Parallel(const std::function<void(uint32_t)>& fn) { Run(fn); }

  /// Added up over the shards.
  size_t active_instances() const;
  size_t pending_timers() const;
  std::vector<JourneyStats> stats() const;

 private:
  /// Runs fn(shard) for every shard at once: shard 0 on this thread, the
  /// others on theirs; returns when all are done. With `small` (work that
  /// costs less than waking a thread: a few inputs, a clock move that
  /// fires nothing) all on this thread, one shard after another: the
  /// shards share nothing, so the outcome is the same.
  void Run(const std::function<void(uint32_t)>& fn, bool small = false);
  void Loop(uint32_t shard);
  /// Why `program` cannot be taken on by more than one shard (a
  /// kConflict), if this is more than one (WhyOneShard, with the versions
  /// the engines run).
  Status WhyNotSplit(const compiler::ir::Program& program) const;
  /// Moves the actions every shard's clock has passed into the merged
  /// outbox, in the merged order.
  void Merge();

  std::vector<std::unique_ptr<Engine>> engines_;
  Outbox outbox_;
  std::mutex mu_;
  std::condition_variable start_, done_;
  const std::function<void(uint32_t)>* job_ = nullptr;
  uint64_t generation_ = 0;
  uint32_t running_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tutti::runtime
