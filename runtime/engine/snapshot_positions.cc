#include "runtime/engine/snapshot_positions.h"

#include <map>

namespace tutti::runtime {

namespace ir = compiler::ir;

SavedPositions PositionsOf(const ir::Journey& j) {
  SavedPositions p;
  for (const ir::Step& s : j.steps) p.step_ids.push_back(s.id);
  for (size_t i = 0; i < j.slot_names.size(); ++i) p.slots.emplace_back(j.slot_names[i], j.slot_types[i]);
  return p;
}

PositionMap MapPositions(const SavedPositions& saved, const ir::Journey& now) {
  PositionMap map;
  std::map<std::string_view, ir::StepIndex> step_at;
  for (ir::StepIndex s = 0; s < now.steps.size(); ++s) step_at.emplace(now.steps[s].id, s);
  map.identity = saved.step_ids.size() == now.steps.size() && saved.slots.size() == now.slot_names.size();
  for (ir::StepIndex s = 0; s < saved.step_ids.size(); ++s) {
    auto it = step_at.find(saved.step_ids[s]);
    map.steps.push_back(it == step_at.end() ? PositionMap::kGone : it->second);
    map.identity &= map.steps.back() == s;
  }
  // The n-th slot of each (name, type), in slot order, on either side.
  std::map<std::pair<std::string_view, std::string_view>, std::vector<uint32_t>> slots_now;
  for (uint32_t i = 0; i < now.slot_names.size(); ++i) slots_now[{now.slot_names[i], now.slot_types[i]}].push_back(i);
  std::map<std::pair<std::string_view, std::string_view>, size_t> seen;
  for (uint32_t i = 0; i < saved.slots.size(); ++i) {
    std::pair<std::string_view, std::string_view> key{saved.slots[i].first, saved.slots[i].second};
    size_t nth = seen[key]++;
    auto it = slots_now.find(key);
    map.slots.push_back(it != slots_now.end() && nth < it->second.size() ? it->second[nth] : PositionMap::kGone);
    map.identity &= map.slots.back() == i;
  }
  return map;
}

}  // namespace tutti::runtime
