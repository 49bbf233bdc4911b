#pragma once
// Counters the engine keeps per journey, for the summary `tutti simulate`
// prints and the daemon's metrics.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tutti::runtime {

/// One arm of a split or `choose best`: the customers who took it and how
/// many of them then reached the journey's goal.
struct ArmStats {
  int64_t customers = 0;
  int64_t goals = 0;
  bool operator==(const ArmStats&) const = default;
};

struct JourneyStats {
  int64_t entered = 0;
  int64_t completed = 0;   // ran to the end or to `end`
  int64_t exited = 0;      // an exit rule matched
  int64_t goals = 0;       // a goal rule matched
  int64_t failed = 0;      // stopped by an error it could not go on from
  int64_t not_reentered = 0;   // a trigger matched but the re-entry rule said no
  int64_t unknown_customer = 0;  // a trigger matched a customer with no profile
  int64_t paused = 0;      // not entered because the journey was paused
  int64_t errors = 0;      // error decisions
  int64_t deferred = 0;    // sends held by quiet hours
  int64_t unassigned = 0;  // routed tasks and notifications that matched no one
  std::map<std::string, int64_t> actions;     // by channel, "task" or "notify"
  std::map<std::string, int64_t> suppressed;  // by rule text
  std::vector<int64_t> step_visits;           // by step index
  /// Split and `choose best` steps, by step index: each arm's ArmStats by
  /// arm index, and last the `otherwise` of a `choose best` (no option
  /// acceptable). A goal counts for the arms its instance still remembers
  /// taking (JourneyInstance::choices: the last 16).
  std::map<uint32_t, std::vector<ArmStats>> arms;

  /// Adds another engine's counts for the same journey (shards.h).
  JourneyStats& operator+=(const JourneyStats& other) {
    entered += other.entered;
    completed += other.completed;
    exited += other.exited;
    goals += other.goals;
    failed += other.failed;
    not_reentered += other.not_reentered;
    unknown_customer += other.unknown_customer;
    paused += other.paused;
    errors += other.errors;
    deferred += other.deferred;
    unassigned += other.unassigned;
    for (const auto& [k, n] : other.actions) actions[k] += n;
    for (const auto& [k, n] : other.suppressed) suppressed[k] += n;
    if (step_visits.size() < other.step_visits.size()) step_visits.resize(other.step_visits.size());
    for (size_t i = 0; i < other.step_visits.size(); ++i) step_visits[i] += other.step_visits[i];
    for (const auto& [step, theirs] : other.arms) {
      std::vector<ArmStats>& mine = arms[step];
      if (mine.size() < theirs.size()) mine.resize(theirs.size());
      for (size_t a = 0; a < theirs.size(); ++a) {
        mine[a].customers += theirs[a].customers;
        mine[a].goals += theirs[a].goals;
      }
    }
    return *this;
  }
};

}  // namespace tutti::runtime
