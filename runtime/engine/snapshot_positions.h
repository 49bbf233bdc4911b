#pragma once
// Where an instance is, in words that outlive the build that saved it.
//
// An engine snapshot holds instances at step indices and variables in
// slots, which are how this build's compiler lowered each journey. Another
// build may lower the same journey differently (more steps, slots in
// another order), so a snapshot names them too: every step by its id
// (`send@38`, from the source line) and every slot by its name and type.
// A restoring engine maps the saved positions onto its own lowering of the
// same declaration; what it cannot place is a reason to refuse, never a
// guess.

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/journey_ir.h"

namespace tutti::runtime {

/// A journey's positions as the saving build lowered it.
struct SavedPositions {
  std::vector<std::string> step_ids;  // by step index
  std::vector<std::pair<std::string, std::string>> slots;  // (name, type) by slot index
};

SavedPositions PositionsOf(const compiler::ir::Journey& j);

/// Saved positions onto this build's: index -> index, kGone where this
/// build has no such step or slot.
struct PositionMap {
  static constexpr uint32_t kGone = UINT32_MAX - 1;
  std::vector<compiler::ir::StepIndex> steps;
  std::vector<uint32_t> slots;
  bool identity = true;  // every position is where it was

  /// The step for saved step `pc` (kDone stays kDone); kGone when this
  /// build has none, or `pc` is not a saved step.
  compiler::ir::StepIndex Step(compiler::ir::StepIndex pc) const {
    if (pc == compiler::ir::kDone) return pc;
    return pc < steps.size() ? steps[pc] : kGone;
  }
};

/// Steps match by id; slots by name and type, the n-th slot of a name and
/// type to the n-th (a name bound on two paths has a slot on each).
PositionMap MapPositions(const SavedPositions& saved, const compiler::ir::Journey& now);

}  // namespace tutti::runtime
