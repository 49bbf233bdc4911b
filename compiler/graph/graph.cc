// The diagram pass: builds each journey's nodes and edges
// (flow_builder.cc) and hands them to the writer for the format.

#include "compiler/graph/graph.h"

#include <set>
#include <string>
#include <vector>

#include "compiler/graph/flow_graph.h"

namespace tutti::compiler {
namespace {

// `cluster_<name>`, with any character other than [A-Za-z0-9_] replaced by
// '_' so that the id is valid in both formats, and a `_2`, `_3`, ... suffix
// when the name repeats. Graphviz draws a subgraph as a box only when its
// id starts with "cluster".
std::string ClusterId(const std::string& name, std::set<std::string>& used) {
  std::string base = "cluster_";
  for (char c : name) {
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_';
    base += word ? c : '_';
  }
  std::string id = base;
  for (int n = 2; !used.insert(id).second; ++n) id = base + "_" + std::to_string(n);
  return id;
}

std::string Render(const std::vector<const ast::JourneyDecl*>& journeys, GraphFormat format) {
  std::vector<JourneyFlow> flows;
  std::set<std::string> used_ids;
  int next_id = 1;
  for (const ast::JourneyDecl* journey : journeys) {
    flows.push_back(internal::BuildJourneyFlow(*journey, &next_id));
    flows.back().cluster_id = ClusterId(journey->name.text, used_ids);
  }
  return format == GraphFormat::kDot ? internal::WriteDot(flows) : internal::WriteMermaid(flows);
}

}  // namespace

std::string RenderJourneyGraph(const ast::JourneyDecl& journey, GraphFormat format) {
  return Render({&journey}, format);
}

JourneyFlow JourneyDiagram(const ast::JourneyDecl& journey) {
  int next_id = 1;
  return internal::BuildJourneyFlow(journey, &next_id);
}

std::string RenderGraph(const ast::File& file, const std::string& journey_or_empty,
                        GraphFormat format) {
  std::vector<const ast::JourneyDecl*> journeys;
  for (const ast::JourneyDecl& journey : file.journeys) {
    if (journey_or_empty.empty() || journey.name.text == journey_or_empty) {
      journeys.push_back(&journey);
    }
  }
  return Render(journeys, format);
}

}  // namespace tutti::compiler
