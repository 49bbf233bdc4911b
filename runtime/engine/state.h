#pragma once
// The engine's state, partitioned by customer: every customer (a profile
// record: a prescriber, an account, a colleague) owns its journey
// instances, its interaction history and its re-entry bookkeeping, and
// nothing is shared between customers except read-only program data. A
// shard owns a set of customers; handing a customer to another shard means
// moving its partition.
//
// StateStore is the interface the engine core works through;
// InMemoryStore keeps everything in memory (simulate, tests). The daemon's
// durable store keeps the same partitions in RocksDB.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/compact_vector.h"
#include "base/key_index.h"
#include "compiler/eval/value.h"
#include "compiler/ir/journey_ir.h"
#include "runtime/engine/choice.h"
#include "runtime/engine/instance_slots.h"
#include "runtime/engine/instant.h"

namespace tutti::runtime {

class SnapshotReader;
class SnapshotWriter;

/// One entry of a customer's interaction history: an action a journey took
/// for them, or an event about them. 24 bytes; channel and event names are
/// interned by the engine (a bounded set), contents fingerprinted (they may
/// be personalised, so unbounded).
struct Interaction {
  Instant at = 0;
  uint32_t name = 0;     // interned: the channel (actions) or event type
  uint32_t content = 0;  // sends: ContentFingerprint of the template; else 0
  uint32_t about = 0;    // the customer the entry concerns (in an account's history, its prescriber)
  uint16_t journey = 0;  // index + 1 of the acting journey; 0 for events
  bool action = false;
  /// A task's: its assignee's `role` when the action was taken
  /// (Engine::roles(), index + 1); 0 when none is known.
  uint8_t role = 0;
};
static_assert(sizeof(Interaction) == 24, "a history entry stays 24 bytes");

enum class InstanceState : uint8_t {
  kFree,          // slot unused
  kRunning,       // executing steps now
  kSleeping,      // a timed wait, or a send deferred by quiet hours
  kWaitingEvent,  // `wait up to D for EVENT`: an event or the timeout
};

/// One customer's run of one journey. The step index and the slots are the
/// whole of its progress; `generation` invalidates timers set before the
/// instance last moved on.
struct JourneyInstance {
  uint16_t journey = 0;  // an Engine holds at most UINT16_MAX journey versions
  InstanceState state = InstanceState::kFree;
  uint32_t customer = 0;
  compiler::ir::StepIndex pc = 0;
  uint32_t generation = 0;
  uint32_t entry = 0;    // the customer's n-th entry into any journey
  uint32_t actions = 0;  // actions taken so far (for idempotency keys)
  Instant entered = 0;
  /// The input whose trigger started it (or started the instance whose
  /// `start` step did); kNoInput when not known (Record::input).
  uint64_t entered_by = kNoInput;
  static constexpr uint64_t kNoInput = UINT64_MAX;
  /// Trailing empty slots may be missing while the instance waits.
  InstanceSlots slots;
  /// Its choices so far, oldest first: the last kMaxChoices of them.
  CompactVector<Choice> choices;
  static constexpr size_t kMaxChoices = 16;

  std::optional<uint64_t> EnteredBy() const {
    return entered_by == kNoInput ? std::nullopt : std::optional<uint64_t>(entered_by);
  }
};
// Every waiting instance costs this much before its slots' contents, its
// timer and its history (docs/performance.md, "Memory").
static_assert(sizeof(JourneyInstance) <= 64, "a JourneyInstance fits in 64 bytes");

struct Customer {
  uint32_t profile = 0;  // index into the profile names of the store
  std::string key;
  compiler::eval::Value record;  // null until the profile is known
  std::vector<uint32_t> instances;  // active instance handles, in entry order
  std::vector<Interaction> history;  // in time order
  /// journey index -> last time the customer entered it
  std::vector<std::pair<uint32_t, Instant>> last_entry;
  uint32_t entries = 0;
  uint32_t account = UINT32_MAX;  // the customer's account, if it has one
};

class StateStore {
 public:
  virtual ~StateStore() = default;
  /// The customer of `profile` with `key`, if known.
  virtual std::optional<uint32_t> FindCustomer(uint32_t profile, std::string_view key) const = 0;
  /// The customer of `profile` with `key`, created if unknown.
  virtual uint32_t GetOrAddCustomer(uint32_t profile, std::string_view key) = 0;
  virtual Customer& customer(uint32_t id) = 0;
  virtual const Customer& customer(uint32_t id) const = 0;
  /// Customers of `profile` by key, in key order.
  virtual const std::map<std::string, uint32_t, std::less<>>& CustomersOf(uint32_t profile) const = 0;
  virtual size_t customer_count() const = 0;
  /// Makes room for a profile a new version of the journeys declares; it
  /// takes the next number.
  virtual void AddProfile() = 0;

  /// A fresh instance (state kRunning), and its handle.
  virtual uint32_t NewInstance() = 0;
  virtual JourneyInstance& instance(uint32_t handle) = 0;
  virtual const JourneyInstance& instance(uint32_t handle) const = 0;
  /// Returns the handle to the free list; its timers are invalidated.
  virtual void FreeInstance(uint32_t handle) = 0;
  virtual size_t active_instances() const = 0;
  /// Instance handles are below this (free ones included).
  virtual size_t handles() const = 0;

  /// Writes every customer and instance (free ones too: handles and
  /// generations are part of the state) to a snapshot; Restore reads them
  /// into an empty store, checking that handles and ids point inside it.
  virtual void Save(SnapshotWriter& out) const = 0;
  virtual void Restore(SnapshotReader& in) = 0;
};

class InMemoryStore final : public StateStore {
 public:
  explicit InMemoryStore(size_t profiles) : by_profile_(profiles), by_key_(profiles) {}
  // Held like the stores it indexes: never copied.
  InMemoryStore(const InMemoryStore&) = delete;
  InMemoryStore& operator=(const InMemoryStore&) = delete;
  std::optional<uint32_t> FindCustomer(uint32_t profile, std::string_view key) const override;
  uint32_t GetOrAddCustomer(uint32_t profile, std::string_view key) override;
  Customer& customer(uint32_t id) override { return customers_[id]; }
  const Customer& customer(uint32_t id) const override { return customers_[id]; }
  const std::map<std::string, uint32_t, std::less<>>& CustomersOf(uint32_t profile) const override {
    return by_profile_[profile];
  }
  size_t customer_count() const override { return customers_.size(); }
  void AddProfile() override {
    by_profile_.emplace_back();
    by_key_.emplace_back();
  }
  uint32_t NewInstance() override;
  JourneyInstance& instance(uint32_t handle) override { return instances_[handle]; }
  const JourneyInstance& instance(uint32_t handle) const override { return instances_[handle]; }
  void FreeInstance(uint32_t handle) override;
  size_t active_instances() const override { return instances_.size() - free_.size(); }
  size_t handles() const override { return instances_.size(); }
  void Save(SnapshotWriter& out) const override;
  void Restore(SnapshotReader& in) override;

 private:
  /// Files customer `id` under its key in both indexes; false if the key
  /// was already there.
  bool Index(uint32_t profile, const std::string& key, uint32_t id);

  // deques: references stay valid while new entries are added.
  std::deque<Customer> customers_;
  std::vector<std::map<std::string, uint32_t, std::less<>>> by_profile_;  // in key order
  // The same, hashed, for lookups by key: it reads a key in its customer.
  std::vector<KeyIndex<>> by_key_;
  std::deque<JourneyInstance> instances_;
  std::vector<uint32_t> free_;
};

}  // namespace tutti::runtime
