#pragma once
// A dry run: journeys over recorded profiles and events on a virtual clock
// that jumps from one event or timer to the next, so a quarter of history
// replays in seconds. What `tutti simulate` runs, and what the scenario
// tests compare against their golden output.

#include <optional>
#include <string>
#include <vector>

#include "runtime/engine/engine.h"

namespace tutti::runtime {

struct SimulationResult {
  std::vector<Decision> decisions;  // in time order
  size_t events_processed = 0;
  size_t events_after_until = 0;   // left out by --until
  /// Events the engine could not take: "LINE: why".
  std::vector<std::string> refused;
};

/// Loads `profiles` into `engine`, then feeds it `events` in time order
/// (stable for equal times), firing timers in between; stops at `until`
/// (inclusive) or, without one, when no timer is left.
SimulationResult Simulate(Engine& engine, const std::vector<Record>& profiles, std::vector<Record> events,
                          std::optional<Instant> until);

/// The per-journey and per-step summary, as text for a terminal:
///
///   glidim_formulary_win v2: entered 3091, active 0, completed 3091, ...
///     actions: email 12, remote_detail 770, task 550
///     suppressed: cap email 2 per 7d 3
///     steps: let@31 3091, choose@42 3091, ...
std::string RenderSummary(const compiler::ir::Program& program, const Engine& engine);

}  // namespace tutti::runtime
