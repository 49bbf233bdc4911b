#pragma once
// The engine core: one deterministic state machine per shard. Inputs are
// events (Ingest), the passing of time (AdvanceTo, which fires due timers)
// and profile data (UpsertProfile); outputs are state changes in its store
// and Decisions (actions to take, sends held back, errors). It never reads
// the wall clock, never does I/O and draws no unseeded random numbers:
// given the same inputs in the same order, it makes the same decisions.
//
// What happens when an event arrives at time t (docs/semantics.md):
//   1. every timer due at or before t fires first, in due order (so a
//      `wait up to 7d` that started at t0 times out at t0+7d, before an
//      event at exactly t0+7d);
//   2. the event joins the history of the customer it is keyed by;
//   3. exit and goal rules end the instances they match;
//   4. instances waiting for the event resume;
//   5. journeys triggered by it start, fanned out over their audience;
//   6. events emitted meanwhile are processed the same way, at t (or at
//      their own `at`, when a journey gave a later one), up to
//      EngineOptions::max_cascade_depth levels deep.
// Sends are settled against the contact policy when time moves past t (or
// on Flush), all sends of one instant together, highest priority first.

#include <deque>
#include <map>
#include <tuple>
#include <variant>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "compiler/eval/evaluator.h"
#include "compiler/ir/journey_ir.h"
#include "compiler/jit/jit.h"
#include "runtime/engine/contact_policy.h"
#include "runtime/engine/decision.h"
#include "runtime/engine/names.h"
#include "runtime/engine/native_code.h"
#include "runtime/engine/event_note.h"
#include "runtime/engine/outbox.h"
#include "runtime/engine/snapshot_positions.h"
#include "runtime/engine/state.h"
#include "runtime/engine/stats.h"
#include "runtime/engine/timer_queue.h"
#include "runtime/engine/work_queue.h"
#include "runtime/records/decoder.h"
#include "stdlib/history_view.h"

namespace tutti::runtime {

/// A journey version's identity from its content (12 hex digits of the
/// declaration as written, `journey` to its closing brace): the written
/// `version N` is the marketer's, and two different declarations may carry
/// the same number; they never share an identity.
std::string VersionId(const compiler::ir::Journey& journey);

class SnapshotReader;
class SnapshotWriter;

struct EngineOptions {
  /// How deep `emit` may cascade within one instant (an event emitted by a
  /// journey triggered by an emitted event ...). Deeper events are dropped
  /// with an error decision. The checker already refuses emit loops.
  int max_cascade_depth = 16;
  /// How far back a customer's interaction history reaches. Older entries
  /// are dropped (a month's worth at a time); engagement() reads 90 days,
  /// caps and dedupe their windows, interactions() what it is asked for.
  Instant history_retention = 400 * kNanosPerDay;
  /// Native code for every expression of the program (JourneySet::Compile,
  /// or CompileInBackground: taken up when it is ready); null: the
  /// interpreter evaluates them. Must outlive the engine.
  const NativeCode* native = nullptr;
  /// Interpret even when the journey set has native code (the differential
  /// tests and the benchmarks compare the two).
  bool interpret = false;
  /// This engine's part of the customers when several run side by side
  /// (runtime/engine/shards.h, partition.h): it takes every input and
  /// keeps every profile, but starts, resumes, records and acts only for
  /// the customers that ShardOf gives to `shard` of `shards`.
  uint32_t shard = 0;
  uint32_t shards = 1;
  /// Owned customers are those whose key KafkaPartitionOf gives to `shard`
  /// of `shards` partitions (a node of the cluster, docs/cluster.md),
  /// rather than ShardOf's.
  bool kafka_partitions = false;
  /// Keep the journey analytics up to date (JourneyStats: steps reached,
  /// the arms of splits, `choose best`s and waits with their goals, time to
  /// goal, actions by channel, suppressions by rule). Always on in the
  /// daemon and `simulate`; engine_bench turns it off to measure its cost
  /// (docs/performance.md). Entries, completions, exits, goals and errors
  /// are counted either way.
  bool analytics = true;
  /// Hand out every event that joins a customer's history, record and all
  /// (TakeEventNotes): the daemon journals them. Off, nothing is kept.
  bool note_events = false;
  /// Keep the actions in the outbox until they are delivered (outbox()).
  /// Off for a run that delivers nothing (`tutti simulate`), which would
  /// otherwise hold every action twice: in the outbox and in its output.
  bool outbox = true;
};

class Engine final : private stdlib::HistoryView {
 public:
  /// `program`, `schemas` and `functions` must outlive the engine.
  Engine(const compiler::ir::Program& program, const SchemaTable& schemas,
         const compiler::eval::Functions& functions, EngineOptions options = {});
  ~Engine() override;

  /// Adds or replaces a profile record (already checked by the decoder).
  void UpsertProfile(const Record& profile);

  /// Pauses or resumes a journey of the current version: a paused journey
  /// starts no new instance (from its trigger or a `start`); its running
  /// instances go on. False for an unknown journey.
  bool SetPaused(std::string_view journey, bool paused);
  bool paused(uint32_t journey) const { return paused_[journey]; }

  /// Moves the engine onto a new version of its journeys (hot reload),
  /// between two inputs. The records must be laid out as before
  /// (SameLayout): stored profiles and waiting instances keep their values.
  ///   - A journey whose declaration reads the same (byte for byte) carries
  ///     its instances over to the new code: their steps and slots mean
  ///     the same there.
  ///   - A journey whose declaration changed starts new instances on the
  ///     new version; instances already running finish on the version they
  ///     started on, which is retired: it starts nothing, but its waits,
  ///     timers, exit and goal rules go on.
  ///   - Unless the new version declares, with `migrate`, that instances
  ///     resting at some step of the running version move to a labelled
  ///     step of its own (migration.cc): those go on there, now.
  ///   - A journey no longer declared is retired the same way.
  /// History, caps, re-entry and pauses carry over by journey name. The
  /// parts must outlive the engine, and so must those of every earlier
  /// version (retired instances run on them). An error, and nothing
  /// changed, when the records differ.
  struct ReloadReport {
    std::vector<std::string> unchanged, changed, added, removed;
    size_t carried_over = 0;  // instances of unchanged journeys, now on the new code
    size_t left_on_old = 0;   // instances finishing on a retired version
    size_t migrated = 0;      // instances moved to a changed journey's new version (`migrate`)
    /// Changed journeys whose written `version N` is the running one's:
    /// decisions of both versions would name the same number.
    std::vector<std::string> number_not_raised;
    /// What the reload took but a marketer should hear of: a `migrate`
    /// line naming a step only an earlier version has.
    std::vector<std::string> warnings;
  };
  /// Why Reload would refuse this version (a kConflict), or ok: its
  /// records are laid out differently, or a `migrate` cannot be done (a
  /// step the running version does not have, a variable the new one reads
  /// that the instances do not hold).
  Status ReloadRefusal(const SchemaTable& schemas, const compiler::ir::Program& program) const;
  Result<ReloadReport> Reload(const compiler::ir::Program& program, const SchemaTable& schemas,
                                                 const compiler::eval::Functions& functions,
                                                 const NativeCode* native);

  /// The whole state as bytes (runtime/engine/snapshot.cc): customers,
  /// instances, timers, history, pending sends, the outbox, the counters.
  /// Taken between two inputs; an engine over the same versions of the
  /// journeys, taken on in the same order, restores it.
  std::string Save() const;
  /// Makes a fresh engine (no input given yet) the engine that saved
  /// `snapshot`: given the same inputs from here, it makes the same
  /// decisions. Its versions of the journeys must be the saver's (the same
  /// sets, loaded and reloaded in the same order). An error when the
  /// snapshot is damaged or was saved over other journeys; the engine is
  /// then unusable.
  Status Restore(std::string_view snapshot);

  /// Every journey the engine runs or ran, by engine index: the current
  /// version's journeys first (in program order, until a reload), then
  /// the ones a reload added or retired. Instances, history and stats
  /// name journeys by this index.
  size_t journey_count() const { return journeys_.size(); }
  const compiler::ir::Journey& journey(uint32_t index) const { return *journeys_[index]; }
  /// Its VersionId.
  const std::string& version_id(uint32_t index) const { return version_ids_[index]; }
  /// Superseded by a reload: starts nothing; its instances finish.
  bool retired(uint32_t index) const { return retired_[index]; }

  /// Processes an event at max(its `at`, now). Returns false, and changes
  /// nothing, when its time is outside the engine's range (instant.h).
  bool Ingest(const Record& event);

  /// Fires every timer due at or before `t`, in order, and moves the clock
  /// to `t` (never backwards).
  void AdvanceTo(Instant t);
  /// AdvanceTo in slices: fires at most `max_wakeups` timers (or events a
  /// journey emitted for later) and returns false if more are due by `t`,
  /// true once the clock is at `t`. Slices end in the same state as one
  /// AdvanceTo, as long as no other input comes between them.
  bool AdvanceSome(Instant t, size_t max_wakeups);
  /// When the next timer (or event a journey emitted for later) is due.
  std::optional<Instant> NextDue();
  /// Settles the sends of the current instant against the contact policy,
  /// and orders the instant's decisions by customer. Moving time forward
  /// does this too.
  void Flush();

  /// The decisions made since the last call, in the order they were made
  /// (which is time order): the decision log.
  std::vector<Decision> TakeDecisions();
  /// How many decisions TakeDecisions would return now.
  size_t decisions_waiting() const { return decisions_.size(); }
  /// The events that joined a customer's history since the last call, in
  /// the order they did (EngineOptions::note_events; else none).
  std::vector<EventNote> TakeEventNotes();
  /// The actions among them, waiting for delivery.
  Outbox& outbox() { return outbox_; }
  /// The tasks and cases this engine's journeys opened that are still
  /// open (work_queue.h), and the newest closed ones.
  const WorkQueue& work() const { return work_; }
  /// The schemas of the version new instances start on.
  const SchemaTable& schemas() const { return *schemas_; }

  Instant now() const { return now_; }
  const std::vector<JourneyStats>& stats() const { return stats_; }
  /// With native code: how many evaluations found no compiled expression
  /// and fell back to the interpreter (always 0 unless the JIT missed an
  /// expression of the program; the tests hold it to 0).
  uint64_t interpreted_fallbacks() const { return interpreted_fallbacks_; }
  /// Whether the current version runs as native code (false while its
  /// code is still compiling in the background).
  bool runs_native() const { return Native() != nullptr && Native()->complete(); }
  size_t active_instances() const { return store_->active_instances(); }
  size_t pending_timers() const { return timers_.size(); }
  /// When a waiting instance will next wake (its timer or its wait's
  /// timeout), if it has a live timer. Scans the timer queue: for
  /// inspection, not for the event path.
  std::optional<Instant> NextWake(uint32_t handle) const;
  const StateStore& store() const { return *store_; }
  const Names& names() const { return names_; }
  /// The assignees' roles tasks were counted under (Interaction::role is
  /// an index + 1): interned names, in the order first met, at most
  /// kMaxRoles.
  const std::vector<uint32_t>& roles() const { return roles_; }
  static constexpr size_t kMaxRoles = 255;
  /// The profiles by number (the store's `profile` ids): the first
  /// version's in name order, then those later versions added.
  const std::vector<std::string>& profile_names() const { return profile_names_; }
  /// A profile's number, if any version declared it.
  std::optional<uint32_t> ProfileId(std::string_view profile) const;

  /// When the contact policy would next let a new message through one
  /// channel reach a customer (next_contact.cc).
  struct NextContact {
    std::string channel;
    /// The earliest instant from now on; nullopt: not as things stand
    /// (no consent, or a rule without a window).
    std::optional<Instant> at;
    /// What holds it until then (the last rule met on the way), or forbids
    /// it; null when it may go now.
    const compiler::ir::PolicyRule* rule = nullptr;
    std::string reason;
  };
  /// One per channel to the customer's profile, in the program's order of
  /// channel names. As for a message no one has sent them yet from the
  /// journey of highest priority: dedupe and arbitration, which depend on
  /// the template and the journey, hold nothing here; consent, caps and
  /// quiet hours do, as the customer's history and time zone say.
  std::vector<NextContact> NextContacts(uint32_t customer) const;

 private:
  /// An event being processed: from Ingest, or emitted by a journey.
  struct Event {
    const Schema* schema = nullptr;
    compiler::eval::Value record;  // the event as a record value, `at` included
    std::string key;
    Instant at = 0;
    int depth = 0;  // 0: ingested; n: emitted n levels down
    /// Record::input of the event, or of the one whose processing emitted
    /// it (an instance woken by a timer: the input that started it).
    std::optional<uint64_t> input;
  };
  /// A send waiting for the contact policy (settled by Flush).
  struct PendingSend {
    SendRequest request;
    Decision decision;
    uint64_t seq = 0;
  };
  enum class Outcome { kCompleted, kExited, kGoal, kFailed };

  // engine.cc: events, triggers, fan-out, exits, waits, timers.
  void SetNow(Instant t);
  void Process(const Event& event);
  void ProcessOne(const Event& event);
  /// Processes the events journeys emitted, in order, until none is left.
  void DrainCascade();
  /// Starts `journey` for the event's customer or audience if its trigger
  /// condition holds; `act` has `now` bound.
  /// Tests `journey`'s trigger condition on `event` (the interpreter's
  /// way, one journey at a time) and fires it if it holds.
  void Trigger(uint32_t journey, const Event& event, compiler::eval::Activation& act);
  /// Starts `journey` for the event's customer, or fans it out over its
  /// audience; `act` binds `now` and the trigger's name for the event.
  void Fire(uint32_t journey, const Event& event, const compiler::eval::Activation& act);
  void Enter(uint32_t journey, uint32_t customer, const compiler::eval::Value* trigger,
             std::optional<uint64_t> entered_by);
  /// Notes a choice of `inst` at `step` (state.h Choice), dropping its
  /// oldest when it holds JourneyInstance::kMaxChoices.
  /// A split's or `choose best`'s arm also counts in the journey's arm
  /// statistics (JourneyStats::arms).
  void Chose(JourneyInstance& inst, compiler::ir::StepIndex step, int32_t arm, std::vector<double> scores = {},
             std::optional<uint64_t> input = std::nullopt);

  void Finish(uint32_t handle, Outcome outcome);
  /// With the analytics on, the counts of `journey` for the current day
  /// (JourneyStats::days); null without.
  DayStats* Today(uint32_t journey) { return options_.analytics ? &stats_[journey].Day(now_) : nullptr; }
  void FireTimer(const TimerEntry& entry);
  /// The earliest live timer (cancelled entries on top are dropped).
  std::optional<Instant> NextTimer();
  void SettleSends();
  void AddToHistory(uint32_t customer, Interaction entry);
  const std::vector<uint32_t>& AudienceCandidates(uint32_t journey, const compiler::eval::Value& value);
  std::optional<uint32_t> CustomerOf(const compiler::eval::Value& record) const;
  uint32_t ProfileIndex(std::string_view profile) const;
  /// Whether this engine is the shard of the customer of profile `profile`
  /// (an index) keyed `key` (EngineOptions::shard).
  bool Owns(uint32_t profile, std::string_view key) const;

  // step_runner.cc: running an instance's steps.
  void Run(uint32_t handle);
  bool RunSend(uint32_t handle, const compiler::ir::Step& step);
  void RunTask(uint32_t handle, const compiler::ir::Step& step);
  /// The role of a task's assignee (Interaction::role): the `role` field
  /// of `record`, or when that is null of the record with key `key` in
  /// the profile `channel` sends to, else in the profile task_completed
  /// is keyed by (as the work queues find colleagues); 0 when there is
  /// none, or kMaxRoles others were met first.
  uint8_t AssigneeRole(const std::string& key, const compiler::eval::Value& record, std::string_view channel);
  bool RunEmit(uint32_t handle, const compiler::ir::Step& step);
  void Sleep(uint32_t handle, Instant until);
  void WaitOutOfRange(uint32_t handle, const compiler::ir::Step& step);
  /// An instance about to wait keeps only the slots its remaining steps
  /// read (ir::Step::live); with none left it holds no slot storage at all.
  void ReleaseDeadSlots(JourneyInstance& inst);
  /// Gives a resumed instance its full set of slots back.
  void RestoreSlots(JourneyInstance& inst);
  /// `record` with only `fields` (sorted), under ProjectionShape.
  compiler::eval::Value Project(const compiler::eval::Record& record, const std::vector<std::string>& fields);
  /// The shape of `shape` cut down to `fields` (sorted), made once per
  /// (shape, fields) and kept for the engine's lifetime.
  const compiler::eval::RecordShape* ProjectionShape(const compiler::eval::RecordShape* shape,
                                                     const std::vector<std::string>& fields);
  /// The value of a slot as expressions see it: a packed slot (one field
  /// kept of a record) is rebuilt as a one-field record.
  compiler::eval::Value SlotValue(const JourneyInstance& inst, uint32_t slot) const;
  void BindInstance(compiler::eval::Activation& act, const JourneyInstance& inst,
                    const compiler::ir::Step* step) const;
  compiler::eval::Value Eval(const compiler::ast::Expr& expr, const compiler::eval::Activation& act) const;
  /// The current version's native code, from when it is ready; null
  /// before, and when interpreting.
  const compiler::jit::CompiledExprs* Native() const {
    if (code_ == nullptr && options_.native != nullptr) code_ = options_.native->ready();
    return code_;
  }
  /// Whether a send of `tmpl` (null: the id `id` names no template) may
  /// go now; if not, emits the suppression and returns false.
  bool Approved(uint32_t handle, const compiler::ir::Step& s, const compiler::ir::Template* tmpl, const std::string& id,
                const Customer& to);
  /// `expr` by the interpreter: a template's holes, typed anew at each
  /// send, are never compiled.
  compiler::eval::Value Interpret(const compiler::ast::Expr& expr, const compiler::eval::Activation& act) const;
  std::optional<std::string> Render(const compiler::ast::Message& message, const compiler::eval::Activation& act,
                                    uint32_t handle, const compiler::ir::Step& step);
  /// Sets whose history `d` joins (Decision::owner).
  void SetOwner(Decision& d, const Customer& owner) const;
  /// Hands out (TakeEventNotes) `event` as it joined `customer`'s history.
  void NoteEvent(const Event& event, uint32_t customer);
  Decision NewDecision(DecisionKind kind, const JourneyInstance& inst, const compiler::ir::Step& step) const;
  void Error(const JourneyInstance& inst, const compiler::ir::Step& step, const std::string& message);
  /// An error in a journey's trigger, audience, exit or goal rule (`rule`).
  void RuleError(uint32_t journey, const std::string& customer, const std::string& rule, std::string reason);
  std::string IdempotencyKey(JourneyInstance& inst, std::string_view extra);
  void Emit(Decision&& d);
  /// Opens a task in the work queue when action `d` is work for someone.
  void OpenWork(const Decision& d);
  /// A task_completed or task_reassigned event closes or moves its task.
  void ReportWork(const Event& event);

  // HistoryView, for the engagement built-ins.
  int64_t NowNanos() const override { return now_; }
  bool ForEachInteraction(const compiler::eval::Value& profile,
                          const std::function<void(const stdlib::InteractionView&)>& fn) const override;

  /// Indexes triggers, routes and per-journey tables over journeys_.
  void IndexJourneys();
  /// Moves every stored record (profiles, instances' variables, events
  /// emitted for later) to the layouts of `schemas` by field name, and
  /// numbers the profiles it adds (Reload, when the records grew).
  void GrowRecords(const SchemaTable& schemas);

  // migration.cc: moving instances to a new version (`migrate`).
  struct Move {
    uint32_t from_journey = 0;           // engine index of the running version
    compiler::ir::StepIndex from_rest = 0;  // where its instances rest
    bool for_event = false;              // waiting for an event (else sleeping)
    uint32_t to_journey = 0;             // index in the new program
    compiler::ir::StepIndex to_rest = 0;
  };
  /// Why a version with these records and journeys cannot be taken on
  /// (ReloadRefusal's reasons), or the moves its migrations ask for (and
  /// what to warn of, when `warnings` is given).
  Result<std::vector<Move>> Admit(const SchemaTable& schemas, const compiler::ir::Program& program,
                                  std::vector<std::string>* warnings = nullptr) const;
  /// The moves `program`'s migrations ask for, or why they cannot be made.
  Result<std::vector<Move>> PlanMigrations(const compiler::ir::Program& program,
                                           std::vector<std::string>* warnings) const;
  /// "version 1, 3": the versions of `journey` other than engine index
  /// `running` that have the step `m` moves from; empty if none.
  std::string EarlierVersionsWith(const std::string& journey, uint32_t running,
                                  const compiler::ir::Migration& m) const;
  /// Makes them, once the new version's journeys are in journeys_
  /// (`next`: program index -> engine index); how many instances moved.
  size_t Migrate(const std::vector<Move>& moves, const std::vector<uint32_t>& next);

  // snapshot.cc: how record shapes are named in a snapshot.
  void WriteShape(SnapshotWriter& out, const compiler::eval::RecordShape* shape) const;
  const compiler::eval::RecordShape* ReadShape(SnapshotReader& in);
  /// What in a restored state breaks the engine's invariants (a
  /// kCorruption), or ok.
  Status Inconsistency() const;
  /// Moves restored instances from the saving build's positions to this
  /// build's (snapshot_positions.h); why not, or empty.
  std::string PlaceInstances(const std::vector<PositionMap>& positions);
  /// The version that declared event `schema`, and the schema.
  void WriteEventSchema(SnapshotWriter& out, const Schema* schema) const;
  const Schema* ReadEventSchema(SnapshotReader& in) const;

  // The current version; earlier ones live on in journeys_ (retired).
  const compiler::ir::Program* program_;
  const SchemaTable* schemas_;
  /// Every version's records, oldest first (for snapshots: records of a
  /// retired version's events are laid out by its own table).
  std::vector<const SchemaTable*> schema_versions_;
  const compiler::eval::Functions* functions_;
  EngineOptions options_;
  /// The native code of earlier versions, for their retired journeys.
  std::vector<const NativeCode*> older_native_;
  /// options_.native's code once it is ready (taken up by Native()).
  mutable const compiler::jit::CompiledExprs* code_ = nullptr;
  std::vector<const compiler::ir::Journey*> journeys_;  // engine index -> IR
  std::vector<bool> retired_;                           // engine index -> retired
  std::vector<uint32_t> current_journeys_;  // current program's journey index -> engine index
  Names names_;
  std::vector<uint32_t> roles_;  // roles()
  std::unique_ptr<ContactPolicy> policy_;
  std::unique_ptr<StateStore> store_;
  TimerQueue timers_;
  Instant now_ = INT64_MIN;

  std::vector<std::string> version_ids_;    // by journey: VersionId
  std::vector<std::string> profile_names_;  // index = profile id (profile_names())
  /// event type -> journeys it triggers, by index
  std::unordered_map<std::string, std::vector<uint32_t>> triggers_;
  /// event type -> the (profile, event field) pairs exits and waits route
  /// it by; an empty field means the event's own key
  std::unordered_map<std::string, std::vector<std::pair<uint32_t, std::string>>> routes_;
  /// journey -> audience field value -> candidate customers (key order);
  /// rebuilt after profiles change
  std::vector<std::optional<std::unordered_map<std::string, std::vector<uint32_t>>>> audience_index_;
  /// profile id -> the journeys whose audience is of that profile (a
  /// profile's update resets their indexes, and only theirs)
  std::vector<std::vector<uint32_t>> audience_journeys_;

  std::map<std::pair<const compiler::eval::RecordShape*, std::string>,
           std::unique_ptr<compiler::eval::RecordShape>>
      projections_;
  /// (journey, step, slot) -> the one-field shape of the records packed
  /// there (a slot's record type is fixed by the program). Hashed: every
  /// wait that packs a slot and every read of a packed slot looks here
  /// (a snapshot writes them in key order).
  using PackedAt = std::tuple<uint32_t, uint32_t, uint32_t>;
  struct PackedAtHash {
    size_t operator()(const PackedAt& at) const {
      uint64_t h = ((uint64_t{std::get<0>(at)} << 32) | std::get<1>(at)) * 0x9E3779B97F4A7C15ull;
      h ^= (std::get<2>(at) + 1) * 0xC2B2AE3D27D4EB4Full;
      return static_cast<size_t>(h ^ (h >> 29));
    }
  };
  std::unordered_map<PackedAt, const compiler::eval::RecordShape*, PackedAtHash> packed_shapes_;
  std::vector<PendingSend> pending_;
  uint64_t pending_seq_ = 0;
  std::deque<Event> cascade_;
  /// Events emitted with an `at` in the future: (at, order) -> event.
  std::map<std::pair<Instant, uint64_t>, Event> delayed_;
  uint64_t delayed_seq_ = 0;
  const Event* current_ = nullptr;  // the event being processed, if any
  // Its customer (of its key's profile) when this shard owns it: found
  // once, not again for each journey it starts.
  std::optional<std::pair<uint32_t, uint32_t>> current_keyed_;  // profile, customer
  std::vector<Decision> decisions_;
  std::vector<EventNote> event_notes_;
  size_t instant_begin_ = 0;  // where the current instant's decisions start
  Outbox outbox_;
  WorkQueue work_;
  std::vector<JourneyStats> stats_;
  mutable uint64_t interpreted_fallbacks_ = 0;
  compiler::jit::TriggerHits hits_;  // reused by every event
  std::vector<bool> paused_;
  /// Rules restored decisions passed that no running program declares
  /// (PolicyCheck), kept in place.
  std::deque<compiler::ir::PolicyRule> kept_rules_;
};

/// An event or profile key as text: strings as they are, other values in
/// CEL's debug form.
std::string KeyText(const compiler::eval::Value& key);

/// A journey's counts in the snapshot's encoding (snapshot.cc), for
/// another process that runs the same version of the journey to add up
/// (the nodes of a cluster gathering GET /v1/journeys).
std::string EncodeJourneyStats(const JourneyStats& stats);
/// Reads them back; nullopt when `bytes` are not counts of `journey`
/// (another version's steps, another build's format, damage).
std::optional<JourneyStats> DecodeJourneyStats(std::string_view bytes, const compiler::ir::Journey& journey);

}  // namespace tutti::runtime
