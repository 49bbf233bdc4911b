// Whole-program flow rules: a journey must not start itself through a
// chain of `start`s, and an `emit` must not be able to trigger, directly or
// through other journeys, the journey that emits it again.

#include <functional>
#include <map>
#include <set>

#include "compiler/check/file_checker.h"

namespace tutti::compiler::internal {
namespace {

struct Graph {
  // journey -> journeys it can lead to, with the edge that leads there.
  std::map<std::string, std::vector<std::pair<std::string, const JourneyFacts::Edge*>>> next;
};

// A path from `from` to `to` as journey names (both included), or empty.
std::vector<std::string> PathBetween(const Graph& g, const std::string& from, const std::string& to) {
  std::map<std::string, std::string> parent;
  std::vector<std::string> queue = {from};
  parent[from] = from;
  for (size_t i = 0; i < queue.size(); ++i) {
    std::string at = queue[i];
    if (at == to) {
      std::vector<std::string> path = {to};
      while (path.back() != from) path.push_back(parent[path.back()]);
      return {path.rbegin(), path.rend()};
    }
    auto it = g.next.find(at);
    if (it == g.next.end()) continue;
    for (const auto& [n, edge] : it->second) {
      if (parent.emplace(n, at).second) queue.push_back(n);
    }
  }
  return {};
}

std::string Chain(const std::vector<std::string>& path) {
  std::string s;
  for (const std::string& p : path) s += (s.empty() ? "" : " -> ") + p;
  return s;
}

}  // namespace

void CheckFlows(const std::vector<JourneyFacts>& facts, DiagnosticSink& sink) {
  std::map<std::string, const JourneyFacts*> by_name;
  std::map<std::string, std::vector<const JourneyFacts*>> triggered_by;
  for (const JourneyFacts& f : facts) {
    by_name.emplace(f.journey->name.text, &f);
    if (!f.trigger_event.empty()) triggered_by[f.trigger_event].push_back(&f);
  }
  Graph starts, flows;
  for (const JourneyFacts& f : facts) {
    const std::string& name = f.journey->name.text;
    for (const auto& e : f.starts) {
      starts.next[name].emplace_back(e.target, &e);
      flows.next[name].emplace_back(e.target, &e);
    }
    for (const auto& e : f.emits)
      for (const JourneyFacts* t : triggered_by[e.target]) flows.next[name].emplace_back(t->journey->name.text, &e);
  }
  for (const JourneyFacts& f : facts) {
    const std::string& name = f.journey->name.text;
    Location at{f.file->source.get(), {}};
    for (const auto& e : f.starts) {
      std::vector<std::string> back = PathBetween(starts, e.target, name);
      if (back.empty()) continue;
      // One report per cycle: at the edge leaving its alphabetically first journey.
      bool first = true;
      for (const std::string& j : back) first &= name <= j;
      if (!first) continue;
      at.range = e.at;
      std::vector<std::string> cycle = {name};
      cycle.insert(cycle.end(), back.begin(), back.end());
      sink.Error(at, back.size() == 1 && e.target == name
                         ? "journey '" + name + "' starts itself; use 'reentry' to let a customer enter it again"
                         : "journey '" + name + "' starts itself through a cycle of starts: " + Chain(cycle));
    }
    for (const auto& e : f.emits) {
      for (const JourneyFacts* t : triggered_by[e.target]) {
        std::vector<std::string> back = PathBetween(flows, t->journey->name.text, name);
        if (back.empty()) continue;
        bool first = true;  // one report per loop, as for starts
        for (const std::string& j : back) first &= name <= j;
        if (!first) continue;
        at.range = e.at;
        std::vector<std::string> cycle = {name};
        cycle.insert(cycle.end(), back.begin(), back.end());
        Diagnostic& d = sink.Error(at, "emitting '" + e.target + "' can loop: it triggers " + Chain(cycle) +
                                           ", which emits it again");
        d.notes.push_back({{t->file->source.get(), t->journey->triggers[0].range},
                           "'" + t->journey->name.text + "' is triggered by '" + e.target + "' here"});
        break;
      }
    }
  }
}

}  // namespace tutti::compiler::internal
