#pragma once
// What an instance chose on its way, kept so that what it decides later can
// say why (GET /v1/decisions/{key}/why, docs/semantics.md "Decisions"): the
// arm a split, `if`, `choose` or `choose best` took, with every option's
// score, and how a wait for an event ended. Kept raw (step and arm
// numbers): named in the journey's words only when an explanation is asked
// for, so that deciding pays for no strings.

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/ir/journey_ir.h"
#include "runtime/engine/instant.h"

namespace tutti::runtime {

struct Choice {
  Instant at = 0;
  compiler::ir::StepIndex step = 0;  // in the journey version that chose
  /// The arm taken, by index into the step's arms; kNoArm: none matched
  /// (an `if` without `else`, `choose best ... otherwise`). A wait for an
  /// event: 0 the event came, kNoArm the wait timed out.
  int32_t arm = 0;
  static constexpr int32_t kNoArm = -1;
  /// A wait ended by an event: the input it came with (Record::input).
  std::optional<uint64_t> input;
  /// `choose best`: each option's score, by arm; NaN when it could not be
  /// scored.
  std::vector<double> scores;

  bool operator==(const Choice&) const = default;
};

/// `choices`, made in `journey`, as JSON: [{"at", "step" (its id), "took",
/// "input", "scores": {label: score}}]. "took" is the arm's label (a
/// split, `choose best`), its condition as written or "else" (`if`,
/// `choose`), "event" or "timeout" (a wait); "none" when no option of a
/// `choose best` was acceptable. Scores not taken are null; a choice at a
/// step the journey does not have is left out.
nlohmann::ordered_json ChoicesJson(const std::vector<Choice>& choices, const compiler::ir::Journey& journey);

}  // namespace tutti::runtime
