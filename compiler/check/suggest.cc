#include "compiler/check/suggest.h"

#include <algorithm>
#include <cctype>

namespace tutti::compiler::internal {
namespace {

// Edit distance counting insertions, deletions, substitutions and swaps of
// neighbours (a common typo: "hpc" for "hcp") as one edit each; case-blind.
size_t EditDistance(std::string_view a, std::string_view b) {
  auto same = [&](size_t i, size_t j) {
    return std::tolower(static_cast<unsigned char>(a[i])) ==
           std::tolower(static_cast<unsigned char>(b[j]));
  };
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (same(i - 1, j - 1) ? 0 : 1)});
      if (i > 1 && j > 1 && same(i - 1, j - 2) && same(i - 2, j - 1))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string ClosestName(std::string_view name, const std::vector<std::string>& candidates) {
  if (name.size() > 64) return {};
  std::string best;
  // Plausible typos: one edit in short names, up to a third of long ones.
  size_t best_distance = std::max<size_t>(1, name.size() / 3) + 1;
  for (const std::string& c : candidates) {
    if (c == name || c.size() > 64) continue;
    size_t d = EditDistance(name, c);
    if (d >= name.size() || d >= c.size()) continue;  // nothing in common
    if (d < best_distance || (d == best_distance && !best.empty() && c < best)) {
      if (d < best_distance || c < best) {
        best_distance = d;
        best = c;
      }
    }
  }
  return best;
}

Diagnostic& SuggestFix(Diagnostic& d, SourceRange range, std::string_view name,
                       const std::vector<std::string>& candidates, bool quoted) {
  std::string closest = ClosestName(name, candidates);
  if (closest.empty()) return d;
  std::string text = quoted ? "\"" + closest + "\"" : closest;
  d.fixes.push_back({"Replace with " + text, range, text});
  return d;
}

std::string DidYouMean(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best = ClosestName(name, candidates);
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

}  // namespace tutti::compiler::internal
