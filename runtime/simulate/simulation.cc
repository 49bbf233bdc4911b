#include "runtime/simulate/simulation.h"

#include <algorithm>

#include "runtime/engine/clock.h"
#include "runtime/engine/experiments.h"

namespace tutti::runtime {

SimulationResult Simulate(Engine& engine, const std::vector<Record>& profiles, std::vector<Record> events,
                          std::optional<Instant> until) {
  std::vector<Decision> all;
  SimulationResult out = Simulate(engine, profiles, std::move(events), until, [&](std::vector<Decision> batch) {
    if (all.empty()) {
      all = std::move(batch);
    } else {
      all.insert(all.end(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
    }
  });
  out.decisions = std::move(all);
  return out;
}

SimulationResult Simulate(Engine& engine, const std::vector<Record>& profiles, std::vector<Record> events,
                          std::optional<Instant> until, const DecisionBatches& each, size_t batch) {
  SimulationResult out;
  auto hand_on = [&] {
    std::vector<Decision> decided = engine.TakeDecisions();
    out.decided += decided.size();
    if (!decided.empty()) each(std::move(decided));
  };
  // At an instant's end: what is due at it has run (timers go before a
  // later event), and Flush settles its sends and orders its decisions, as
  // moving time past it would.
  auto end_instant = [&] {
    engine.AdvanceTo(engine.now());
    engine.Flush();
    hand_on();
  };
  for (const Record& p : profiles) engine.UpsertProfile(p);
  std::stable_sort(events.begin(), events.end(),
                   [](const Record& a, const Record& b) { return *a.at < *b.at; });
  VirtualClock clock;
  for (const Record& e : events) {
    auto at = ToInstant(*e.at);
    if (!at) {
      out.refused.push_back(std::to_string(e.line) + ": '" + e.type() + "' at " +
                            compiler::eval::FormatTimestamp(*e.at) +
                            " is outside the engine's time range (1678 to 2261)");
      continue;
    }
    if (until && *at > *until) {
      ++out.events_after_until;
      continue;
    }
    if (*at > engine.now() && engine.decisions_waiting() >= batch) end_instant();
    clock.AdvanceTo(*at);
    engine.Ingest(e);
    ++out.events_processed;
  }
  // Let time run on: every timer up to `until`, or until none is left.
  while (auto due = engine.NextDue()) {
    if (until && *due > *until) break;
    if (*due > engine.now() && engine.decisions_waiting() >= batch) end_instant();
    clock.AdvanceTo(*due);
    engine.AdvanceTo(clock.Now());
  }
  if (until) engine.AdvanceTo(*until);
  engine.Flush();
  hand_on();
  return out;
}

namespace {

std::string Counts(const NamedCounts& m) {
  std::string out;
  for (const auto& [k, v] : m) out += (out.empty() ? "" : ", ") + k + " " + std::to_string(v);
  return out;
}

}  // namespace

std::string RenderSummary(const compiler::ir::Program& program, const Engine& engine) {
  // Active instances per journey, counted from the store.
  std::vector<int64_t> active(program.journeys.size());
  const StateStore& store = engine.store();
  for (size_t c = 0; c < store.customer_count(); ++c)
    for (uint32_t h : store.customer(static_cast<uint32_t>(c)).instances)
      ++active[store.instance(h).journey];
  std::string out;
  for (size_t i = 0; i < program.journeys.size(); ++i) {
    const auto& j = program.journeys[i];
    const JourneyStats& s = engine.stats()[i];
    out += j.name + " v" + std::to_string(j.version) + ": entered " + std::to_string(s.entered) + ", active " +
           std::to_string(active[i]) + ", completed " + std::to_string(s.completed) + ", exited " +
           std::to_string(s.exited) + ", goal " + std::to_string(s.goals);
    if (s.goals) out += " (median within " + s.TimeToGoal(0.5) + ", 90% within " + s.TimeToGoal(0.9) + ")";
    if (s.failed) out += ", failed " + std::to_string(s.failed);
    if (s.not_reentered) out += ", not re-entered " + std::to_string(s.not_reentered);
    if (s.unknown_customer) out += ", unknown customer " + std::to_string(s.unknown_customer);
    if (s.paused) out += ", not entered while paused " + std::to_string(s.paused);
    out += "\n";
    if (!s.actions.empty()) out += "  actions: " + Counts(s.actions) + "\n";
    if (!s.suppressed.empty()) out += "  suppressed: " + Counts(s.suppressed) + "\n";
    if (s.deferred) out += "  deferred by quiet hours: " + std::to_string(s.deferred) + "\n";
    if (s.unassigned) out += "  unassigned: " + std::to_string(s.unassigned) + "\n";
    if (s.errors) out += "  errors: " + std::to_string(s.errors) + "\n";
    std::string steps;
    for (size_t k = 0; k < j.steps.size(); ++k)
      if (s.step_visits[k]) steps += (steps.empty() ? "" : ", ") + j.steps[k].id + " " + std::to_string(s.step_visits[k]);
    if (!steps.empty()) out += "  steps: " + steps + "\n";
    // How each wait for an event was left, and the goals after each way.
    for (const auto& [step, ways] : s.arms) {
      if (step >= j.steps.size() || j.steps[step].op != compiler::ir::StepOp::kWaitEvent || ways.size() != 2) continue;
      out += "  " + j.steps[step].id + ": event " + std::to_string(ways[0].customers) + " (goal " +
             std::to_string(ways[0].goals) + "), timeout " + std::to_string(ways[1].customers) + " (goal " +
             std::to_string(ways[1].goals) + ")\n";
    }
    std::string arms = ArmsText(s, j);
    for (size_t at = 0, nl; at < arms.size(); at = nl + 1) {
      nl = arms.find('\n', at);
      out += "  " + arms.substr(at, nl - at + 1);
    }
  }
  return out;
}

}  // namespace tutti::runtime
