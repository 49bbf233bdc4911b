// Comparing two versions of a program, journey by journey (a reload).

#include "compiler/ir/journey_ir.h"

namespace tutti::compiler::ir {

std::vector<std::string> VersionNotRaised(const Program& running, const Program& next) {
  std::vector<std::string> out;
  for (const Journey& j : next.journeys) {
    int index = running.Index(j.name);
    if (index < 0) continue;
    const Journey& before = running.journeys[static_cast<size_t>(index)];
    if (before.version == j.version && before.DeclarationText() != j.DeclarationText()) out.push_back(j.name);
  }
  return out;
}

}  // namespace tutti::compiler::ir
