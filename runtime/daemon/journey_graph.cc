// Service::GetJourneyGraph: one journey's diagram, the nodes and edges
// `tutti graph` draws (compiler/graph/flow_graph.h), with what the engine
// counts laid on them, for the console to draw.
//
//   node with a step   reached, waiting_now (as in GET /v1/journeys)
//   entry node         entered
//   "end" / "exit"     completed / exited
//   edge out of a split, `choose best` or wait for an event
//                      customers and goals that took that way (the arms)
//
// Every count is the version's own; a journey name with several versions
// running shows the newest unless `version` names another. With a window
// (`from`, `to`, `days`, as GET /v1/journeys) the counts are the window's
// and the active and waiting ones still now.

#include <map>

#include "base/text.h"
#include "compiler/graph/graph.h"
#include "runtime/daemon/service.h"

namespace tutti::runtime {
namespace {

const char* KindName(compiler::FlowNodeKind kind) {
  using K = compiler::FlowNodeKind;
  switch (kind) {
    case K::kEntry: return "entry";
    case K::kAudience: return "audience";
    case K::kAction: return "action";
    case K::kWait: return "wait";
    case K::kDecision: return "decision";
    case K::kCriterion: return "criterion";
    case K::kTerminal: return "terminal";
  }
  return "?";
}

}  // namespace

Reply Service::GetJourneyGraph(std::string_view name, int64_t version, std::optional<JourneyWindow> window) const {
  const Engine& engine = shards_->shard(0);
  auto [active, waiting] = CountInstances();
  std::vector<JourneyStats> stats = shards_->stats();
  std::vector<JourneyRow> rows;
  for (uint32_t i = 0; i < engine.journey_count(); ++i)
    rows.push_back({&engine.journey(i), engine.retired(i) ? "retired" : engine.paused(i) ? "paused" : "running",
                    active[i], std::move(waiting[i]), std::move(stats[i])});
  return GraphReply(rows, name, version, window, EngineNow());
}

Reply GraphReply(const std::vector<JourneyRow>& rows, std::string_view name, int64_t version,
                 std::optional<JourneyWindow> window, Instant now) {
  const JourneyRow* found = nullptr;
  for (const JourneyRow& row : rows) {
    if (row.journey->name != name) continue;
    if (version ? row.journey->version == version : row.status != std::string_view("retired")) found = &row;
  }
  if (!found)
    return Problem(404, "no journey '" + Printable(name, 100) + "'" +
                            (version ? " of version " + std::to_string(version) : std::string(" running")));
  const compiler::ir::Journey& j = *found->journey;
  const std::vector<int64_t>& waiting = found->waiting;
  JourneyStats stats = found->stats;
  std::pair<int64_t, int64_t> days = window ? Service::WindowDays(*window, now) : std::pair<int64_t, int64_t>{0, 0};
  if (window) stats = InJourneyShape(stats.Window(days.first, days.second), j.steps.size());
  stats.step_visits.resize(j.steps.size());

  std::map<const compiler::ast::Step*, uint32_t> step_of;  // the AST step -> its index
  for (uint32_t k = 0; k < j.steps.size(); ++k)
    if (j.steps[k].source) step_of.emplace(j.steps[k].source, k);
  compiler::JourneyFlow flow = compiler::JourneyDiagram(*j.decl);

  Json nodes = Json::array();
  std::map<std::string, uint32_t> node_step;  // node id -> step index
  bool entry_counted = false;
  for (const compiler::FlowNode& node : flow.nodes) {
    Json n{{"id", node.id}, {"kind", KindName(node.kind)}, {"label", node.label}};
    if (auto k = node.step ? step_of.find(node.step) : step_of.end(); k != step_of.end()) {
      node_step[node.id] = k->second;
      n["step"] = j.steps[k->second].id;
      n["reached"] = stats.step_visits[k->second];
      n["waiting_now"] = waiting[k->second];
    } else if (node.kind == compiler::FlowNodeKind::kEntry && !entry_counted) {
      n["entered"] = stats.entered;
      entry_counted = true;
    } else if (node.kind == compiler::FlowNodeKind::kTerminal) {
      n[node.label == "exit" ? "exited" : "completed"] = node.label == "exit" ? stats.exited : stats.completed;
    }
    nodes.push_back(std::move(n));
  }
  Json edges = Json::array();
  for (const compiler::FlowEdge& edge : flow.edges) {
    Json e{{"from", edge.from}, {"to", edge.to}, {"label", edge.label}, {"dashed", edge.dashed}};
    if (auto k = node_step.find(edge.from); k != node_step.end() && edge.arm >= 0) {
      auto ways = stats.arms.find(k->second);
      if (ways != stats.arms.end() && static_cast<size_t>(edge.arm) < ways->second.size()) {
        e["customers"] = ways->second[edge.arm].customers;
        e["goals"] = ways->second[edge.arm].goals;
      }
    }
    edges.push_back(std::move(e));
  }
  Json out{{"name", j.name},
           {"version", j.version},
           {"status", found->status},
           {"active", found->active},
           {"goals", stats.goals},
           {"nodes", nodes},
           {"edges", edges}};
  if (window) out["window"] = WindowDaysJson(days);
  return JsonReply(200, out);
}

}  // namespace tutti::runtime
