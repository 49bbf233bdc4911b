#pragma once
// Trigger dispatch: for each event type, one native function that tests
// the trigger conditions of every journey listening to it and reports the
// journeys that fire (or whose condition failed with an error).
//
// It does not test them all. The plan picks the event field that most
// triggers compare with a string literal (`e.brand == "GLIDIM"`) and files
// each such journey under its literal; an event then reaches only the
// journeys filed under its own value of that field, plus those with no
// such comparison. This is exact, not a heuristic: a `&&` with a false
// part is false whatever its other parts give (errors included), and
// `e.F == "lit"` is false for every other value of F.
//
// Trigger conditions read only the event, `now` and (`deferred`) the
// profile of the customer the event is keyed by. No journey changes a
// profile, so testing them all before any journey starts is the same as
// testing each just before it would start. The dispatch has no profiles: a
// deferred trigger that its filing lets through is reported with the code
// kTestLater, and the engine tests its condition with the profile bound.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/ast/expr.h"
#include "compiler/eval/value.h"

namespace llvm {
class Module;
}

namespace tutti::compiler::jit {

using eval::Value;

/// One journey's trigger.
struct TriggerSpec {
  uint32_t journey = 0;  // reported back as is
  std::string event;
  std::string binding;             // the name the event is bound to
  const ast::Expr* cond = nullptr;  // null: every such event fires it
  /// The event's record layout (null: unknown; then nothing is indexed).
  const eval::RecordShape* shape = nullptr;
  /// The condition reads the customer's profile: reported, not tested.
  bool deferred = false;
};

/// The code of a deferred trigger's hit: the engine tests the condition.
inline constexpr int32_t kTestLater = 4;

/// A trigger that fired (code kTrue) or whose condition gave an error
/// (code kErrorValue, with the error in `value`).
struct TriggerHit {
  uint32_t journey = 0;
  int32_t code = 0;
  Value value;
};

/// Literal -> bucket number, for the native code's lookup.
struct BucketTable {
  std::unordered_map<std::string, int32_t> buckets;
};

/// How one event type's triggers are dispatched.
struct DispatchPlan {
  std::string event;
  /// The indexed field (empty: none; every trigger is tested) and its slot
  /// in the event's shape.
  std::string field;
  const eval::RecordShape* shape = nullptr;
  size_t slot = 0;
  /// Indices into the event's triggers: tested for every event ...
  std::vector<size_t> always;
  /// ... and per bucket, tested when the field holds that bucket's literal.
  std::vector<std::vector<size_t>> buckets;
  BucketTable table;
};

/// Plans the dispatch of `triggers` (all of one event type).
DispatchPlan PlanDispatch(const std::vector<const TriggerSpec*>& triggers);

/// The native signature: `vars` = {event, now}; every hit is passed to
/// tutti_jit_hit(hits, ...), in no particular order.
using DispatchFunction = void (*)(const Value* const* vars, const void* const* pool, std::vector<TriggerHit>* hits);

/// Where a trigger's condition was compiled: its group function, its index
/// in the group, and its environment.
struct CompiledCondition {
  std::string function;
  int32_t index = 0;
  std::vector<std::string> env;
  const void* const* pool = nullptr;  // the group's constants
};

class ConstantPool;

/// Emits `name`, a DispatchFunction for `plan` over `triggers` (in the
/// plan's order), whose conditions are `conditions` (parallel to
/// `triggers`; unused for a trigger without a condition).
void EmitDispatch(llvm::Module& module, const std::string& name, const DispatchPlan& plan,
                  const std::vector<const TriggerSpec*>& triggers, const std::vector<CompiledCondition>& conditions,
                  ConstantPool& pool);

}  // namespace tutti::compiler::jit
