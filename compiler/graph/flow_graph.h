#pragma once
// The diagram of a journey as plain nodes and edges, independent of the
// output format: flow_builder.cc builds it from the AST, dot_writer.cc and
// mermaid_writer.cc render it, and the daemon hands it to the console with
// each step's live counts (JourneyDiagram in graph.h). The builder and the
// writers are private to compiler/graph.

#include <string>
#include <vector>

#include "compiler/ast/decl.h"

namespace tutti::compiler {

/// What a node stands for; each writer chooses a shape for it.
enum class FlowNodeKind {
  kEntry,      // the trigger, or the entry of a journey without one
  kAudience,   // audience PROFILE where COND
  kAction,     // send, task, notify, start, emit, let, set
  kWait,       // wait D, wait until ..., wait up to D for EVENT
  kDecision,   // if, choose, choose best, split
  kCriterion,  // exit when ..., goal when ...
  kTerminal,   // the journey's "end" and "exit"
};

/// Labels are plain text: UTF-8 without control characters, lines
/// separated by '\n'. Writers escape them for their format.
struct FlowNode {
  std::string id;  // n1, n2, ...: unique across one output
  FlowNodeKind kind = FlowNodeKind::kAction;
  std::string label;  // never empty
  /// The step the node draws; null for the entry, audience, criteria and
  /// terminals. A decision's node is its step's; its arms' steps have their
  /// own nodes.
  const ast::Step* step = nullptr;
};

struct FlowEdge {
  std::string from, to;
  std::string label;  // may be empty
  bool dashed = false;
  /// Which way out of its `from` step the edge is, counted from 0 in the
  /// order written: an if's branches then its else, a choose's `when`s
  /// then `otherwise`, a `choose best`'s options then `otherwise`, a
  /// split's arms, a wait for an event's arrival (0) and timeout (1); -1
  /// for an edge that is not a way out of a decision or a wait for an event.
  int arm = -1;
};

/// One journey's diagram, drawn as one cluster / subgraph.
struct JourneyFlow {
  std::string cluster_id;  // `cluster_<name>`, made unique and safe by the caller
  std::string caption;     // "journey NAME", and its title on a second line
  std::vector<FlowNode> nodes;
  std::vector<FlowEdge> edges;
};

namespace internal {

/// Builds the diagram of one journey (see graph.h for what is drawn). Node
/// ids are numbered from `*next_id`, which is advanced past them.
/// `cluster_id` is left empty.
JourneyFlow BuildJourneyFlow(const ast::JourneyDecl& journey, int* next_id);

/// A `digraph` with one cluster per journey, in order.
std::string WriteDot(const std::vector<JourneyFlow>& journeys);

/// A `flowchart TD` with one subgraph per journey, in order.
std::string WriteMermaid(const std::vector<JourneyFlow>& journeys);

}  // namespace internal
}  // namespace tutti::compiler
