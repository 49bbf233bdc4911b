#pragma once
// A dry run: journeys over recorded profiles and events on a virtual clock
// that jumps from one event or timer to the next, so a quarter of history
// replays in seconds. What `tutti simulate` runs, and what the scenario
// tests compare against their golden output.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/engine/engine.h"

namespace tutti::runtime {

struct SimulationResult {
  /// In time order; empty when they were handed to a DecisionBatches.
  std::vector<Decision> decisions;
  size_t decided = 0;  // decisions made, however they were handed on
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

/// Receives a run's decisions in order, a batch at a time. A batch ends at
/// the end of an instant (its decisions are final: Engine::Flush), so the
/// batches joined are exactly what Simulate returns in one vector.
using DecisionBatches = std::function<void(std::vector<Decision> batch)>;

/// Simulate, handing the decisions to `each` as the run goes (every
/// `batch` decisions or so) rather than holding them: a run's memory is
/// then its state's, not its output's.
SimulationResult Simulate(Engine& engine, const std::vector<Record>& profiles, std::vector<Record> events,
                          std::optional<Instant> until, const DecisionBatches& each, size_t batch = 4096);

/// The per-journey and per-step summary, as text for a terminal:
///
///   glidim_formulary_win v2: entered 3091, active 0, completed 3091, ...
///     actions: email 12, remote_detail 770, task 550
///     suppressed: cap email 2 per 7d 3
///     steps: let@31 3091, choose@42 3091, ...
std::string RenderSummary(const compiler::ir::Program& program, const Engine& engine);

}  // namespace tutti::runtime
