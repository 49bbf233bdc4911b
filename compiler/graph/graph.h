#pragma once
// The diagram pass: journeys -> a flowchart in Graphviz DOT or Mermaid, for
// `tutti graph`. It reads the AST only; run it on a file that parsed (it
// does not need the checker, and draws what is written even when the
// checker would reject it).
//
// What is drawn, per journey (one cluster / subgraph each):
//   trigger (`on EVENT as b where COND`, or an entry node for a journey
//   that only `start` reaches) -> audience -> the steps -> "end".
//   A step is a node with a short label; if/choose/choose best/split are
//   decision nodes whose outgoing edges carry the branch conditions,
//   options or `50% a` arms; `wait up to D for EVENT` has an edge labelled
//   with the event (arrival, into `then`) and a dashed edge labelled
//   `timeout after D` (into `timeout`). A branch or block that does not
//   `end` joins the next step; `end` is an edge into the "end" node.
//   Exit and goal criteria are separate nodes that lead to an "exit" node
//   outside the main flow.
// Node ids are `n1`, `n2`, ... numbered across the whole output, so that
// every id is unique and valid in both formats; the output depends only on
// the AST, so it is deterministic.

#include <string>

#include "compiler/ast/decl.h"
#include "compiler/graph/flow_graph.h"

namespace tutti::compiler {

enum class GraphFormat { kDot, kMermaid };

/// One journey as a complete diagram: a `digraph` holding one
/// `subgraph cluster_<name>` (DOT), or a `flowchart TD` holding one
/// `subgraph` (Mermaid).
std::string RenderJourneyGraph(const ast::JourneyDecl& journey, GraphFormat format);

/// Every journey of `file`, in declaration order, as one diagram with a
/// cluster / subgraph per journey; or, when `journey_or_empty` is not empty,
/// only the journey of that name. When no journey matches, the result is a
/// valid empty diagram: callers that treat an unknown name as an error
/// look it up in `file.journeys` first.
std::string RenderGraph(const ast::File& file, const std::string& journey_or_empty,
                        GraphFormat format);

/// One journey's diagram as data (flow_graph.h), drawn by the console with
/// live counts on the nodes that carry a step; ids are n1, n2, ... as in a
/// `tutti graph` of that journey alone. `cluster_id` is left empty.
JourneyFlow JourneyDiagram(const ast::JourneyDecl& journey);

}  // namespace tutti::compiler
