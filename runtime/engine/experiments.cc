#include "runtime/engine/experiments.h"

#include <cmath>
#include <cstdio>

namespace tutti::runtime {

namespace ir = compiler::ir;
using Json = nlohmann::ordered_json;

namespace {

bool IsControl(const std::string& label) { return label == "holdout" || label == "control"; }

/// The arms to show: every declared one, and `otherwise` when taken.
template <typename Fn>
void ForEachArm(const ir::Step& s, const std::vector<ArmStats>& arms, Fn fn) {
  for (size_t a = 0; a < arms.size(); ++a) {
    bool otherwise = a == s.arms.size();
    if (otherwise && arms[a].customers == 0) continue;
    fn(otherwise ? std::string("otherwise") : s.arms[a].label, arms[a]);
  }
}

std::string Percent(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100 * x);
  return buf;
}

}  // namespace

std::pair<double, double> Wilson95(int64_t goals, int64_t customers) {
  if (customers <= 0) return {0.0, 1.0};
  const double z = 1.959963984540054;
  double n = static_cast<double>(customers);
  double p = static_cast<double>(goals) / n;
  double denom = 1 + z * z / n;
  double center = (p + z * z / (2 * n)) / denom;
  double half = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom;
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

Json ArmsJson(const JourneyStats& stats, const ir::Journey& journey) {
  Json out = Json::array();
  for (const auto& [step, arms] : stats.arms) {
    if (step >= journey.steps.size()) continue;
    const ir::Step& s = journey.steps[step];
    if (s.op != ir::StepOp::kSplit && s.op != ir::StepOp::kChooseBest) continue;  // a wait's ways out
    Json list = Json::array();
    ForEachArm(s, arms, [&](const std::string& label, const ArmStats& a) {
      auto [lo, hi] = Wilson95(a.goals, a.customers);
      double rate = a.customers ? static_cast<double>(a.goals) / static_cast<double>(a.customers) : 0.0;
      list.push_back({{"label", label}, {"customers", a.customers}, {"goals", a.goals}, {"goal_rate", rate},
                      {"ci95", {lo, hi}}, {"control", IsControl(label)}});
    });
    out.push_back({{"step", s.id}, {"kind", s.op == ir::StepOp::kSplit ? "split" : "choose_best"}, {"arms", list}});
  }
  return out;
}

std::string ArmsText(const JourneyStats& stats, const ir::Journey& journey) {
  std::string out;
  for (const auto& [step, arms] : stats.arms) {
    if (step >= journey.steps.size()) continue;
    const ir::Step& s = journey.steps[step];
    if (s.op != ir::StepOp::kSplit && s.op != ir::StepOp::kChooseBest) continue;  // a wait's ways out
    std::string line;
    ForEachArm(s, arms, [&](const std::string& label, const ArmStats& a) {
      auto [lo, hi] = Wilson95(a.goals, a.customers);
      double rate = a.customers ? static_cast<double>(a.goals) / static_cast<double>(a.customers) : 0.0;
      line += (line.empty() ? "" : ", ") + label + " " + std::to_string(a.customers) + " (" +
              (IsControl(label) ? "control; " : "") + "goal " + std::to_string(a.goals) + ", " + Percent(rate) +
              ", 95% CI " + Percent(lo) + "-" + Percent(hi) + ")";
    });
    out += s.id + ": " + line + "\n";
  }
  return out;
}

}  // namespace tutti::runtime
