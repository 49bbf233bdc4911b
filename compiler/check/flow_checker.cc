// Whole-program flow rules: a journey must not start itself through a
// chain of `start`s, and an `emit` must not be able to trigger, directly or
// through other journeys (triggered or started), the journey that emits it
// again.

#include <functional>
#include <map>
#include <set>

#include "compiler/check/file_checker.h"

namespace tutti::compiler::internal {
namespace {

struct Graph {
  struct Step {
    std::string journey;  // where the edge leads
    const JourneyFacts::Edge* edge;
    bool start;  // a `start`; else an `emit` of an event that triggers `journey`
  };
  // journey -> journeys it can lead to, with the edge that leads there.
  std::map<std::string, std::vector<Step>> next;
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
    for (const Graph::Step& n : it->second) {
      if (parent.emplace(n.journey, at).second) queue.push_back(n.journey);
    }
  }
  return {};
}

std::string Chain(const std::vector<std::string>& path) {
  std::string s;
  for (const std::string& p : path) s += (s.empty() ? "" : " -> ") + p;
  return s;
}

// "'rx' triggers b, which starts c, which emits 'rx' again": the loop from
// the event, along `back` (the triggered journey .. the one that emits it).
std::string LoopText(const Graph& g, const std::string& event, const std::vector<std::string>& back) {
  std::string s = "'" + event + "' triggers " + back.front();
  for (size_t i = 0; i + 1 < back.size(); ++i) {
    const Graph::Step* step = nullptr;
    for (const Graph::Step& n : g.next.at(back[i]))
      if (n.journey == back[i + 1] && (step == nullptr || (step->start && !n.start))) step = &n;
    s += step->start ? ", which starts " + back[i + 1]
                     : ", which emits '" + step->edge->target + "', which triggers " + back[i + 1];
  }
  return s + ", which emits '" + event + "' again";
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
      starts.next[name].push_back({e.target, &e, true});
      flows.next[name].push_back({e.target, &e, true});
    }
    for (const auto& e : f.emits)
      for (const JourneyFacts* t : triggered_by[e.target]) flows.next[name].push_back({t->journey->name.text, &e, false});
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
      sink.Error(Code::kStartCycle, at, back.size() == 1 && e.target == name
                         ? "journey '" + name + "' starts itself; use 'reentry' to let a customer enter it again"
                         : "journey '" + name + "' starts itself through a cycle of starts: " + Chain(cycle));
    }
  }
  // Emit loops may pass through starts (pinger starts repinger, which emits
  // what triggers pinger), so the journey that closes a loop need not hold
  // an emit. The loops through one set of journeys are reported at the
  // emits of the alphabetically first journey of the set that has one
  // closing such a loop: at each of them.
  struct Loop {
    const JourneyFacts* from;
    const JourneyFacts::Edge* emit;
    const JourneyFacts* triggered;
    std::vector<std::string> back;  // the triggered journey .. `from`
  };
  std::map<std::set<std::string>, std::vector<Loop>> loops;
  for (const JourneyFacts& f : facts) {
    const std::string& name = f.journey->name.text;
    for (const auto& e : f.emits) {
      for (const JourneyFacts* t : triggered_by[e.target]) {
        std::vector<std::string> back = PathBetween(flows, t->journey->name.text, name);
        if (back.empty()) continue;
        std::vector<Loop>& at = loops[std::set<std::string>(back.begin(), back.end())];
        if (!at.empty() && name > at.front().from->journey->name.text) break;
        if (!at.empty() && name < at.front().from->journey->name.text) at.clear();
        at.push_back(Loop{&f, &e, t, back});
        break;
      }
    }
  }
  for (const auto& [journeys, sites] : loops)
    for (const Loop& loop : sites) {
      const std::string& event = loop.emit->target;
      Diagnostic& d = sink.Error(Code::kEmitLoop, {loop.from->file->source.get(), loop.emit->at},
                                 "emitting '" + event + "' can loop: " + LoopText(flows, event, loop.back));
      d.notes.push_back({{loop.triggered->file->source.get(), loop.triggered->journey->triggers[0].range},
                         "'" + loop.triggered->journey->name.text + "' is triggered by '" + event + "' here"});
    }
}

}  // namespace tutti::compiler::internal
