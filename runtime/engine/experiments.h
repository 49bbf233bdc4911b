#pragma once
// The read-out of a journey's experiments: each split and `choose best`
// step, with every arm's customers, how many reached the journey's goal,
// the goal rate and its 95% confidence interval (Wilson's score interval,
// which stays inside [0, 1] and is honest for small counts). An arm
// labelled `holdout` or `control` is the control group the others are
// read against. Counted by the engine as it runs (JourneyStats::arms), so
// reading it costs nothing on the event path.

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "compiler/ir/journey_ir.h"
#include "runtime/engine/stats.h"

namespace tutti::runtime {

/// 95% Wilson score interval for `goals` successes in `customers` trials;
/// {0, 1} when there are none.
std::pair<double, double> Wilson95(int64_t goals, int64_t customers);

/// [{"step", "kind" ("split" / "choose_best"), "arms": [{"label",
/// "customers", "goals", "goal_rate", "ci95": [lo, hi], "control"}]}], in
/// step order; a `choose best`'s `otherwise` arm only when it was taken.
nlohmann::ordered_json ArmsJson(const JourneyStats& stats, const compiler::ir::Journey& journey);

/// The same for a terminal, one line per step:
///   "split@11: a 52 (goal 9, 17.3%, 95% CI 9.4-29.7%), holdout 48 (control; ...)"
std::string ArmsText(const JourneyStats& stats, const compiler::ir::Journey& journey);

}  // namespace tutti::runtime
