// Nodes and edges -> a Mermaid flowchart, in its basic syntax only:
//
//   flowchart TD
//     subgraph cluster_welcome ["journey welcome"]
//       n1["on signed_up"]
//       n2{"if"}
//       n1 --> n2
//       n2 -->|"x #gt; 1"| n3
//       n4 -.->|"timeout after 7d"| n5
//     end

#include <string>
#include <string_view>
#include <vector>

#include "compiler/graph/flow_graph.h"

namespace tutti::compiler::internal {
namespace {

// A label as a Mermaid string, `"..."`. Inside the quotes Mermaid's lexer
// only ends the string at `"`, but the text passes through its
// preprocessing and into HTML, so:
//  - `"` is `#quot;`, and `#` itself is `#35;` so that user text cannot
//    form an entity code; `<` `>` `&` are entity codes so that no text
//    becomes HTML; `{ } |` and a backtick (which at the start would make a
//    markdown string) are entity codes too;
//  - `%` is `#37;`, so that no `%%{` reads as a directive;
//  - the `d` of "direction" is `#100;`: a line matching
//    `.*direction\s+(TB|BT|RL|LR)` would otherwise be taken as a direction
//    statement, quotes or not;
//  - in a label that mentions "style" or "classDef", `:` is `#58;`: the
//    preprocessor strips a `;` from lines matching `style.*:\S*#.*;`;
//  - a line break is `<br>`.
std::string Quote(const std::string& text) {
  bool colon_entities = text.find("style") != std::string::npos ||
                        text.find("classDef") != std::string::npos;
  std::string out = "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (c) {
      case '"': out += "#quot;"; break;
      case '#': out += "#35;"; break;
      case '&': out += "#38;"; break;
      case '<': out += "#lt;"; break;
      case '>': out += "#gt;"; break;
      case '{': out += "#123;"; break;
      case '}': out += "#125;"; break;
      case '|': out += "#124;"; break;
      case '`': out += "#96;"; break;
      case '%': out += "#37;"; break;
      case '\n': out += "<br>"; break;
      case ':':
        out += colon_entities ? "#58;" : ":";
        break;
      case 'd':
        out += std::string_view(text).substr(i, 9) == "direction" ? "#100;" : "d";
        break;
      default: out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace

std::string WriteMermaid(const std::vector<JourneyFlow>& journeys) {
  std::string out = "flowchart TD\n";
  for (const JourneyFlow& journey : journeys) {
    out += "  subgraph " + journey.cluster_id + " [" + Quote(journey.caption) + "]\n";
    for (const FlowNode& node : journey.nodes) {
      bool decision = node.kind == FlowNodeKind::kDecision;
      out += "    " + node.id + (decision ? "{" : "[") + Quote(node.label) +
             (decision ? "}" : "]") + "\n";
    }
    for (const FlowEdge& edge : journey.edges) {
      out += "    " + edge.from + (edge.dashed ? " -.->" : " -->");
      if (!edge.label.empty()) out += "|" + Quote(edge.label) + "|";
      out += " " + edge.to + "\n";
    }
    out += "  end\n";
  }
  return out;
}

}  // namespace tutti::compiler::internal
