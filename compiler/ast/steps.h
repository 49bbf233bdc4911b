#pragma once
// Walking a journey's steps.

#include "compiler/ast/step.h"

namespace tutti::compiler::ast {

// Calls `visit` on every step of `block`, nested ones included.
template <typename Visit>
void ForEachStep(const Block& block, const Visit& visit) {
  for (const auto& step : block.steps) {
    visit(*step);
    switch (step->kind) {
      case StepKind::kWaitEvent: {
        const auto& w = step->As<WaitEventStep>();
        if (w.then) ForEachStep(*w.then, visit);
        if (w.timeout) ForEachStep(*w.timeout, visit);
        break;
      }
      case StepKind::kIf: {
        const auto& s = step->As<IfStep>();
        for (const auto& b : s.branches) ForEachStep(b.body, visit);
        if (s.otherwise) ForEachStep(*s.otherwise, visit);
        break;
      }
      case StepKind::kChoose: {
        const auto& s = step->As<ChooseStep>();
        for (const auto& b : s.arms) ForEachStep(b.body, visit);
        if (s.otherwise) ForEachStep(*s.otherwise, visit);
        break;
      }
      case StepKind::kChooseBest: {
        const auto& s = step->As<ChooseBestStep>();
        for (const auto& a : s.arms) ForEachStep(a.body, visit);
        if (s.otherwise) ForEachStep(*s.otherwise, visit);
        break;
      }
      case StepKind::kSplit:
        for (const auto& a : step->As<SplitStep>().arms) ForEachStep(a.body, visit);
        break;
      default:
        break;
    }
  }
}

}  // namespace tutti::compiler::ast
