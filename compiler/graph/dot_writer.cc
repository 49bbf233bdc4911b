// Nodes and edges -> Graphviz DOT, checked with `dot -Tsvg`.
//
//   digraph journeys {
//     subgraph "cluster_welcome" {
//       label="journey welcome";
//       n1 [shape=box, style="rounded,bold", label="on signed_up"];
//       n1 -> n2 [label="when x", style=dashed];
//     }
//   }

#include <string>
#include <vector>

#include "compiler/graph/flow_graph.h"

namespace tutti::compiler::internal {
namespace {

// A double-quoted DOT string. Lines break with `\n` (centred); a backslash
// is doubled so that no `\l`, `\N`, ... escape arises by accident; `{ } < >
// |` are escaped too, which is how record shapes need them and is harmless
// (they print as themselves) in the shapes used here.
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '{': case '}': case '<': case '>': case '|':
        out += '\\';
        out += c;
        break;
      default: out += c;
    }
  }
  out += '"';
  return out;
}

const char* ShapeAttributes(FlowNodeKind kind) {
  switch (kind) {
    case FlowNodeKind::kEntry: return "shape=box, style=\"rounded,bold\"";
    case FlowNodeKind::kAudience: return "shape=box, style=rounded";
    case FlowNodeKind::kAction: return "shape=box";
    case FlowNodeKind::kWait: return "shape=box, style=dashed";
    case FlowNodeKind::kDecision: return "shape=diamond";
    case FlowNodeKind::kCriterion: return "shape=note";
    case FlowNodeKind::kTerminal: return "shape=doublecircle";
  }
  return "shape=box";
}

}  // namespace

std::string WriteDot(const std::vector<JourneyFlow>& journeys) {
  std::string out = "digraph journeys {\n";
  out += "  graph [fontname=\"Helvetica\", fontsize=12];\n";
  out += "  node [fontname=\"Helvetica\", fontsize=10];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  for (const JourneyFlow& journey : journeys) {
    out += "  subgraph " + Quote(journey.cluster_id) + " {\n";
    out += "    label=" + Quote(journey.caption) + ";\n";
    for (const FlowNode& node : journey.nodes) {
      out += "    " + node.id + " [" + ShapeAttributes(node.kind) + ", label=" + Quote(node.label) +
             "];\n";
    }
    for (const FlowEdge& edge : journey.edges) {
      out += "    " + edge.from + " -> " + edge.to;
      std::string attributes;
      if (!edge.label.empty()) attributes = "label=" + Quote(edge.label);
      if (edge.dashed) attributes += std::string(attributes.empty() ? "" : ", ") + "style=dashed";
      if (!attributes.empty()) out += " [" + attributes + "]";
      out += ";\n";
    }
    out += "  }\n";
  }
  out += "}\n";
  return out;
}

}  // namespace tutti::compiler::internal
