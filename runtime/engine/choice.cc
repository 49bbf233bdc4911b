#include "runtime/engine/choice.h"

#include <cmath>
#include <string>

#include "compiler/ast/expr.h"

namespace tutti::runtime {

namespace ir = compiler::ir;
using Json = nlohmann::ordered_json;

Json ChoicesJson(const std::vector<Choice>& choices, const ir::Journey& journey) {
  Json out = Json::array();
  for (const Choice& c : choices) {
    if (c.step >= journey.steps.size()) continue;
    const ir::Step& s = journey.steps[c.step];
    bool none = c.arm == Choice::kNoArm || static_cast<size_t>(c.arm) >= s.arms.size();
    std::string took;
    switch (s.op) {
      case ir::StepOp::kWaitEvent: took = c.arm == 0 ? "event" : "timeout"; break;
      case ir::StepOp::kBranch:
        took = none ? "else" : compiler::ast::ToSource(*s.arms[static_cast<size_t>(c.arm)].cond);
        break;
      default: took = none ? "none" : s.arms[static_cast<size_t>(c.arm)].label; break;
    }
    Json step{{"at", FormatInstant(c.at)}, {"step", s.id}, {"took", took}};
    if (c.input) step["input"] = *c.input;
    if (!c.scores.empty()) {
      Json scores = Json::object();
      for (size_t i = 0; i < c.scores.size() && i < s.arms.size(); ++i)
        scores[s.arms[i].label] = std::isnan(c.scores[i]) ? Json() : Json(c.scores[i]);
      step["scores"] = std::move(scores);
    }
    out.push_back(std::move(step));
  }
  return out;
}

}  // namespace tutti::runtime
