#pragma once
// "Did you mean ...?" suggestions for misspelt names.

#include <string>
#include <string_view>
#include <vector>

namespace tutti::compiler::internal {

/// The candidate closest to `name` by edit distance, if it is close enough
/// to be a plausible typo; otherwise empty.
std::string ClosestName(std::string_view name, const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" or "".
std::string DidYouMean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace tutti::compiler::internal
